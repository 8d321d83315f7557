"""Adding articles from the web: polite fetching, article extraction, feeds, the corpus folder.

Writes ``.jsonl`` files the index loads like any other corpus file; imports neither discord
nor click.
"""

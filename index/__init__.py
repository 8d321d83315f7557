"""Writes the store: load, clean, chunk, embed, store."""

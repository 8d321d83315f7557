"""Scores the answering core on question sets."""

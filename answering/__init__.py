"""Reads the store and answers: retrieve, select, answer, cite."""

"""Typed errors, translated once at each boundary (CLI handler, Discord error handler).

Every message is safe to show a user; ``hint`` says what to do next.
"""

from __future__ import annotations


class NewsdeskError(Exception):
    """Base class of every error newsdesk raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(NewsdeskError):
    """A setting is missing or invalid."""

    exit_code = 2


class CorpusError(NewsdeskError):
    """The corpus folder is missing or holds nothing indexable."""


class IndexMissing(NewsdeskError):
    """No index has been built yet."""


class IndexCorrupt(NewsdeskError):
    """The index exists but cannot be read or is inconsistent."""


class EmbedderMismatch(NewsdeskError):
    """The index was built with a different embedding model or chunking."""


class StoreUnavailable(NewsdeskError):
    """The Chroma server cannot be reached (a temporary failure)."""


class QuestionInvalid(NewsdeskError):
    """The question is empty, too long or otherwise unusable."""

    exit_code = 2


class ModelUnavailable(NewsdeskError):
    """The LLM server cannot be reached, timed out or answered garbage."""


class NoAnswer(NewsdeskError):
    """Nothing could be answered (used where a refusal cannot be expressed as an Answer)."""


class IndexBusy(NewsdeskError):
    """Another build of the same index is running."""

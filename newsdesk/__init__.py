"""newsdesk: question answering over news articles with verbatim, cited excerpts."""

__version__ = "0.1.0"

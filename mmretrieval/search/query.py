"""One rule for text queries and questions, shared by the CLI, the Python API and the HTTP API."""

from __future__ import annotations

MAX_QUERY_CHARS = 2000  # far past a search phrase; the text models read 128-512 tokens of it at most


def check_query(text: str, what: str = "query") -> str:
    """``text`` without surrounding whitespace; refuses an empty or over-long one, saying why."""
    if not isinstance(text, str):
        raise ValueError(f"the {what} must be text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise ValueError(f"the {what} is empty (or only whitespace); give some words to search for")
    if len(stripped) > MAX_QUERY_CHARS:
        raise ValueError(f"the {what} is {len(stripped):,} characters long; the limit is {MAX_QUERY_CHARS:,} "
                         "(the text model would read only its beginning). Shorten it")
    return stripped

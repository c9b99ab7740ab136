"""Split text documents into overlapping passages that keep their character offsets in the source."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}

# Defaults sized for sentence-embedding towers (MiniLM / e5 read 256-512 tokens; passages of
# ~200 tokens keep one topic each). Overlap carries a sentence or two across each boundary.
DEFAULT_TOKENS, DEFAULT_TOKEN_OVERLAP = 200, 40
DEFAULT_CHARS, DEFAULT_CHAR_OVERLAP = 1000, 200


@dataclass(frozen=True)
class Passage:
    """One passage: ``text == source[start:end]`` (character offsets), ``index`` its order in the source."""

    text: str
    start: int
    end: int
    index: int


def split_passages(
    text: str,
    size: Optional[int] = None,
    overlap: Optional[int] = None,
    markdown: bool = False,
    tokenizer=None,
) -> list[Passage]:
    """Split ``text`` at the largest semantic units (sections, paragraphs, sentences, words) that fit.

    ``size`` and ``overlap`` count tokens of ``tokenizer`` (a Hugging Face tokenizer, e.g.
    ``model.text_tower.tokenizer``) when one is given, else characters. ``markdown`` splits on
    headings and blocks first. Passages overlap by at most ``overlap`` units; whitespace-only
    passages are dropped.
    """
    from semantic_text_splitter import MarkdownSplitter, TextSplitter

    if tokenizer is not None:
        size = DEFAULT_TOKENS if size is None else size
        overlap = DEFAULT_TOKEN_OVERLAP if overlap is None else overlap
    else:
        size = DEFAULT_CHARS if size is None else size
        overlap = DEFAULT_CHAR_OVERLAP if overlap is None else overlap
    if size < 1:
        raise ValueError(f"passage size must be >= 1, got {size}")
    if not 0 <= overlap < size:
        raise ValueError(f"passage overlap must be in 0..{size - 1} (less than the size {size}), got {overlap}")
    splitter_cls = MarkdownSplitter if markdown else TextSplitter
    if tokenizer is not None:
        splitter = splitter_cls.from_huggingface_tokenizer(_fast_tokenizer(tokenizer), size, overlap=overlap)
    else:
        splitter = splitter_cls(size, overlap=overlap)
    return [
        Passage(chunk, start, start + len(chunk), i)
        for i, (start, chunk) in enumerate(splitter.chunk_indices(text))
        if chunk.strip()
    ]


def read_document(path) -> str:
    """Read a UTF-8 text file (a BOM is dropped); a clear error for binary or non-UTF-8 files."""
    path = Path(path)
    if not is_text_document(path):
        raise ValueError(f"{path}: not a text document (supported: {', '.join(sorted(TEXT_SUFFIXES))})")
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise ValueError(f"{path}: looks binary (NUL bytes); only plain text and Markdown are indexed as text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not valid UTF-8 ({err.reason} at byte {err.start}); re-save it as UTF-8") from None


def is_text_document(path) -> bool:
    return Path(path).suffix.lower() in TEXT_SUFFIXES


def is_markdown(path) -> bool:
    return Path(path).suffix.lower() in MARKDOWN_SUFFIXES


def _fast_tokenizer(tokenizer):
    """The ``tokenizers.Tokenizer`` behind a transformers tokenizer, without truncation or padding."""
    backend = getattr(tokenizer, "backend_tokenizer", tokenizer)
    if not hasattr(backend, "encode_batch"):
        raise TypeError(f"need a fast (Rust) Hugging Face tokenizer to count tokens, got {type(tokenizer).__name__}")
    backend = backend.__class__.from_str(backend.to_str())  # a copy: the model's own stays untouched
    backend.no_truncation()
    backend.no_padding()
    return backend

"""Index text documents (plain text, Markdown) as overlapping passages next to the images.

Each passage is a point with ``kind: "text"``, the named vector ``text`` (embedded with
``task="retrieval.passage"`` in the same joint space as the images) plus its ``small`` Matryoshka
prefix, and a payload with the source ``path``, character offsets ``start``/``end``, its order
``passage`` and the ``text`` itself. Like images, documents are reconciled per run: unchanged files
are skipped, changed ones re-split and replaced (new points written before old ones are deleted),
files gone from disk removed.
"""

from __future__ import annotations

import hashlib
import os
from typing import Optional

from tqdm.auto import tqdm

from . import IndexReport
from .captions import caption_sidecars
from .files import Scope, collect
from .stored import prune_missing, stored_by_path
from ..rag.passages import TEXT_SUFFIXES, is_markdown, read_document, split_passages
from ..store.payload import HASH, passage_payload
from ..store import SMALL, TEXT, Point, point_id

MAX_DOCUMENT_BYTES = 50 * 2**20


def is_text_document(path) -> bool:
    return os.path.splitext(os.fspath(path))[1].lower() in TEXT_SUFFIXES


def collect_documents(inputs) -> Scope:
    """Text documents named by ``inputs`` (files, folders walked recursively, globs), absolute and sorted.

    In a folder, a ``.txt`` beside an image of the same name (``cat.jpg`` + ``cat.txt``) is that
    image's caption sidecar, not a document.
    """
    scope = collect(inputs)  # the same inputs, scope and covers() test as for images
    for item in scope.exact:
        if not is_text_document(item):
            raise ValueError(f"{item}: not a text document (supported: {', '.join(sorted(TEXT_SUFFIXES))})")
    found = {path for path in scope.files if is_text_document(path)}  # named files and glob matches
    found.update(path for folder in scope.folders for path in _walk_documents(folder))
    scope.files = sorted(found)
    return scope


def add_texts(
    index,
    paths_or_globs,
    size: Optional[int] = None,
    overlap: Optional[int] = None,
    batch_size: int = 32,
    show_progress: bool = True,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> IndexReport:
    """Bring ``index`` in line with the text documents under ``paths_or_globs``.

    Passages are ``size`` tokens of the model's tokenizer with ``overlap`` tokens shared between
    neighbours (defaults in :mod:`mmretrieval.rag.passages`). Unreadable files are skipped and
    listed in the report with the reason.
    """
    info = index.collection_info()  # the model loads only when a document changed
    scope = collect_documents(paths_or_globs)
    report = IndexReport()
    stored = stored_by_path(index.store, TEXT, scope)
    report.removed += prune_missing(index.store, stored)

    for path in tqdm(scope.files, desc="documents", unit="doc", disable=not show_progress):
        old = stored.get(path, [])
        try:
            stat = os.stat(path)
            if stat.st_size > max_bytes:
                raise ValueError(f"file is {stat.st_size / 2**20:.1f} MiB, over the limit of {max_bytes / 2**20:.0f} MiB")
            text = read_document(path)
        except (OSError, ValueError) as err:
            report.skipped.append((path, str(err).removeprefix(f"{path}: ")))
            continue
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if old and all(r.payload.get(HASH) == digest for r in old):
            report.unchanged += 1
            continue
        passages = split_passages(text, size=size, overlap=overlap, markdown=is_markdown(path),
                                  tokenizer=index.model.text_tower.tokenizer)
        if not passages:
            report.skipped.append((path, "no text to index (empty or whitespace only)"))
            index.store.delete(str(r.id) for r in old)
            continue
        points = []
        for start in range(0, len(passages), batch_size):
            chunk = passages[start : start + batch_size]
            raw = index.model.encode_text([p.text for p in chunk], task="retrieval.passage", convert_to_tensor=True)
            small = index.model.matryoshka_prefix(raw, info.small_dim).numpy()
            full = raw.numpy()
            for p, vector, small_vector in zip(chunk, full, small):
                payload = passage_payload(path, digest, stat.st_size, stat.st_mtime, p.index, p.start, p.end, p.text)
                points.append(Point(point_id(path, digest, str(p.index)), {TEXT: vector, SMALL: small_vector}, payload))
        index.store.upsert(points)
        new_ids = {p.id for p in points}
        index.store.delete(str(r.id) for r in old if str(r.id) not in new_ids)
        if old:
            report.updated += 1
        else:
            report.added += 1
    return report


def _walk_documents(folder: str):
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        sidecars = caption_sidecars(names)
        for name in names:
            if name.startswith(".") or not is_text_document(name) or name in sidecars:
                continue
            yield os.path.join(root, name)


def split_inputs(inputs) -> tuple[list[str], list[str]]:
    """``(image inputs, text inputs)`` for ``mmretrieval index``.

    A text file, or a glob ending in a text suffix (``docs/*.md``), goes to text only; other
    files and globs to images only; a folder to both (each side picks its own files from it).
    """
    images, texts = [], []
    for item in map(os.fspath, inputs):
        if os.path.isdir(item):
            images.append(item)
            texts.append(item)
        elif is_text_document(item):
            texts.append(item)
        else:
            images.append(item)
    return images, texts

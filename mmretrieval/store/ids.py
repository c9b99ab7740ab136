"""Names every store module shares: the named vectors, the default collection and folder, point ids."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

IMAGE, TEXT, OCR, SMALL = "image", "text", "ocr", "small"  # named vectors
FULL_VECTORS = (IMAGE, TEXT, OCR)
DEFAULT_COLLECTION = "mmretrieval"
_ID_NAMESPACE = uuid.UUID("6f1c1d3e-5b0a-4c4e-9a53-2f4a9d1e7c10")


def default_store_path() -> Path:
    """``$MMRETRIEVAL_HOME/qdrant``, else ``$XDG_DATA_HOME/mmretrieval/qdrant`` or ``~/.local/share/...``."""
    home = os.environ.get("MMRETRIEVAL_HOME")
    if home is None:
        data = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
        home = os.path.join(data, "mmretrieval")
    return Path(home, "qdrant")


def point_id(*parts: str) -> str:
    """A deterministic UUID from its parts (e.g. path + content hash): re-runs write the same ids."""
    return str(uuid.uuid5(_ID_NAMESPACE, "\0".join(parts)))

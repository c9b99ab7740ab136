"""Where mmretrieval keeps files it derives at run time (converted models, feature caches)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """The user cache folder (not created): ``$MMRETRIEVAL_CACHE``, else ``$XDG_CACHE_HOME/mmretrieval``
    or ``~/.cache/mmretrieval``."""
    root = os.environ.get("MMRETRIEVAL_CACHE")
    if root is None:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        root = os.path.join(xdg, "mmretrieval")
    return Path(root)


def cache_dir(*parts: str) -> Path:
    """Return (and create) a folder under :func:`cache_root`."""
    path = cache_root().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path

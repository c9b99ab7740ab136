"""Files that travel with a model beside its weights (its query bank, its concept prior): where a saved folder,
a built-in model or a Hub repo keeps one. One lookup for every kind, so they are found the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Optional


def packaged_path(folder: str, name: str) -> Path:
    """Where the built-in model ``name``'s file of this kind ships: ``pretrained/FOLDER/NAME.safetensors``."""
    from importlib import resources

    return Path(str(resources.files("mmretrieval") / "pretrained" / folder / f"{name}.safetensors"))


def companion_path(name_or_path: str, folder: str, filename: str) -> Optional[Path]:
    """The file of this kind for a saved model folder (its ``FILENAME``), a built-in model name
    (``packaged_path``) or a Hub id (downloaded with the model); None where the model has none."""
    from .hub import download, looks_like_repo_id

    path = Path(name_or_path).expanduser()
    if path.is_dir():
        found = path / filename
    elif packaged_path(folder, name_or_path).is_file():
        found = packaged_path(folder, name_or_path)
    elif looks_like_repo_id(name_or_path) and "/" in name_or_path:
        found = download(name_or_path) / filename
    else:
        return None
    return found if found.is_file() else None


def read_companion(path, filename: str):
    """``(vectors, metadata)`` of a companion file at ``path`` (the file itself, or a model folder holding
    ``FILENAME``); None where there is none."""
    from safetensors import safe_open

    path = Path(path)
    path = path / filename if path.is_dir() else path
    if not path.is_file():
        return None
    with safe_open(str(path), framework="numpy") as handle:
        return handle.get_tensor("vectors"), handle.metadata() or {}

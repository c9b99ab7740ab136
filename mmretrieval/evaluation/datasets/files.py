"""Small helpers every loader shares: resolve paths and fail early, naming what is missing."""

from __future__ import annotations

from pathlib import Path


def require_file(path, what: str) -> Path:
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path}")
    return path


def require_images(paths: list[str], folder: Path) -> list[str]:
    """Return ``paths``; raise one error listing (up to 5 of) the images that do not exist."""
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} of {len(paths)} images are missing under {folder}, e.g. {', '.join(missing[:5])}; "
            "check the images folder"
        )
    return paths

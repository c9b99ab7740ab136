"""Fake a Hugging Face Hub download in the offline cache layout: models--org--name/{refs/main,snapshots/<rev>/}."""

from __future__ import annotations

import shutil
from pathlib import Path

REVISION = "0123456789abcdef0123456789abcdef01234567"


def fake_snapshot(cache: Path, repo_id: str, source: Path) -> Path:
    """Copy the files of ``source`` into ``cache`` as if ``repo_id`` had been downloaded; return the snapshot."""
    repo = Path(cache) / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / REVISION
    shutil.copytree(source, snapshot, dirs_exist_ok=True)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(REVISION)
    return snapshot


def use_hub_cache(monkeypatch, cache: Path) -> None:
    """Point huggingface_hub (and so transformers and timm) at ``cache``, offline."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)

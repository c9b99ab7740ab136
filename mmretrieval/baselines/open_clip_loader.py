"""Create open_clip models by architecture name + pretrained tag or local checkpoint, with clear errors."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

logger = logging.getLogger(__name__)


@contextmanager
def registered_architecture(config_path: Optional[str] = None):
    """While the block runs, open_clip knows the architecture JSON at ``config_path`` by its file stem;
    afterwards its registry is as it was (open_clip offers no way to unregister, so it is restored)."""
    if config_path is None:
        yield
        return
    from open_clip import factory

    saved = dict(factory._MODEL_CONFIGS), list(factory._MODEL_CONFIG_PATHS)
    factory.add_model_config(Path(config_path).expanduser())
    try:
        yield
    finally:
        factory._MODEL_CONFIGS, factory._MODEL_CONFIG_PATHS[:] = saved[0], saved[1]


def create_open_clip(name: str, pretrained: Optional[str] = None, device: str = "cpu"):
    """Return ``(model, preprocess, tokenizer)``.

    ``pretrained`` is an open_clip tag (``"openai"``, ``"laion2b_s34b_b79k"``, ``"webli"``...),
    a local checkpoint file, or None for random weights (only meaningful in tests).
    """
    import open_clip

    if name not in open_clip.list_models():
        raise ValueError(f"unknown open_clip architecture {name!r}; see open_clip.list_models()")
    if pretrained is None:
        logger.warning("open_clip %s built with RANDOM weights: fine for tests, useless for retrieval", name)
    elif _looks_like_path(pretrained) and not Path(pretrained).expanduser().is_file():
        raise FileNotFoundError(f"open_clip checkpoint {pretrained!r} does not exist")
    elif not _looks_like_path(pretrained) and pretrained not in open_clip.list_pretrained_tags_by_model(name):
        tags = ", ".join(open_clip.list_pretrained_tags_by_model(name)) or "none"
        raise ValueError(f"{name} has no pretrained tag {pretrained!r}; known tags: {tags}")
    try:
        model, _, preprocess = open_clip.create_model_and_transforms(
            name, pretrained=str(Path(pretrained).expanduser()) if _looks_like_path(pretrained) else pretrained,
            device=device,
        )
    except RuntimeError as err:
        if "download" not in str(err).lower():
            raise
        raise ConnectionError(
            f"could not download open_clip weights {name}/{pretrained} (no network?). "
            "Download them once while online, or pass a local checkpoint file as pretrained."
        ) from err
    model.eval().requires_grad_(False)
    return model, preprocess, open_clip.get_tokenizer(name)


def _looks_like_path(pretrained: Optional[str]) -> bool:
    return pretrained is not None and (
        "/" in pretrained or pretrained.endswith((".pt", ".pth", ".bin", ".safetensors"))
    )

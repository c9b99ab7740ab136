"""Named models: architecture configs (JSON data) and, separately, the adapter weights shipped for them."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from .config import ModelConfig

if TYPE_CHECKING:
    from .model import MMRetrievalModel

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "e5-small-lite0"


def _package_dir(name: str) -> Path:
    return Path(str(resources.files("mmretrieval") / name))


def list_models() -> list[str]:
    """Names of the built-in model architectures."""
    return sorted(p.stem for p in _package_dir("model_configs").glob("*.json"))


def list_pretrained() -> list[str]:
    """Names of the built-in models whose trained adapter weights ship in the package."""
    return sorted(p.stem for p in _package_dir("pretrained").glob("*.safetensors"))


def get_model_config(name: str) -> ModelConfig:
    path = _package_dir("model_configs") / f"{name}.json"
    if not path.is_file():
        raise ValueError(f"unknown model {name!r}; built-in models: {', '.join(list_models())}")
    return ModelConfig.load(path)


def load_model(
    name_or_path: Optional[str] = None, device: Optional[str] = None, pretrained: bool = True
) -> MMRetrievalModel:
    """Load a built-in model by name (default: the shipped default) or a saved model folder.

    ``pretrained=False`` builds a named architecture with a fresh, untrained adapter (for training).
    """
    from .model import MMRetrievalModel  # torch: imported when a model is loaded, not with the registry

    name_or_path = name_or_path or DEFAULT_MODEL
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return MMRetrievalModel.load(path, device=device)
    if name_or_path not in list_models() and ("/" in name_or_path or path.suffix):
        raise FileNotFoundError(f"model folder {name_or_path!r} does not exist")
    model = MMRetrievalModel(get_model_config(name_or_path), device=device)
    weights = _package_dir("pretrained") / f"{name_or_path}.safetensors"
    if pretrained:
        if not weights.is_file():
            raise ValueError(
                f"no trained weights ship for {name_or_path!r} (shipped: {', '.join(list_pretrained()) or 'none'}); "
                "train one with `mmretrieval train` or pass pretrained=False for an untrained adapter"
            )
        from safetensors.torch import load_file

        model.load_trainable_state_dict(load_file(str(weights)))
    return model

"""Named models: architecture configs (JSON data) and, separately, the adapter weights shipped for them."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from .config import ModelConfig
from .hub import download, looks_like_repo_id

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
    name_or_path: Optional[str] = None, device: Optional[str] = None, pretrained: bool = True,
    runtime: Optional[str] = None,
) -> MMRetrievalModel:
    """Load a built-in model by name (default: the shipped default), a saved model folder, or a Hub repo id.

    ``pretrained=False`` builds a named architecture with a fresh, untrained adapter (for training); a concept
    prior in the architecture comes with it (its class vectors are the text tower's, not trained).
    ``runtime`` picks where the image trunk runs: ``auto`` (default, or ``$MMRETRIEVAL_RUNTIME``:
    OpenVINO on a CPU when installed), ``openvino`` or ``torch``.
    A ``user/repo`` that is not a local folder is fetched from the Hugging Face Hub (or its offline cache).
    """
    from .model import MMRetrievalModel  # torch: imported when a model is loaded, not with the registry
    from .concept_prior import model_prior
    from .query_bank import model_bank

    name_or_path = name_or_path or DEFAULT_MODEL
    if not pretrained:
        _check_name(name_or_path)
        model = MMRetrievalModel(get_model_config(name_or_path).uncalibrated(), device=device, runtime=runtime)
        model.concept_prior = model_prior(name_or_path) if model.config.concept_prior else None
        return model
    if Path(name_or_path).expanduser().is_dir():
        return MMRetrievalModel.load(name_or_path, device=device, runtime=runtime)
    config, state = trained_weights(name_or_path)
    model = MMRetrievalModel(config, device=device, runtime=runtime)
    model.load_weights_state_dict(state)
    model.bank = model_bank(name_or_path)  # (a QueryBank, or None for a model that ships or saved none)
    model.concept_prior = model_prior(name_or_path)  # (the config says whether it needs one)
    return model


def trained_weights(name_or_path: Optional[str] = None) -> tuple[ModelConfig, dict]:
    """``(config, trained adapter + space tensors and any query maps)`` of a built-in model, a saved folder or a Hub id, without the towers."""
    name_or_path = name_or_path or DEFAULT_MODEL
    from safetensors.torch import load_file

    from .model import read_model_files

    path = Path(name_or_path).expanduser()
    if not path.is_dir() and name_or_path not in list_models() and looks_like_repo_id(name_or_path):
        path = download(name_or_path)
    if path.is_dir():
        return read_model_files(path)
    _check_name(name_or_path)
    config = get_model_config(name_or_path)
    weights = _package_dir("pretrained") / f"{name_or_path}.safetensors"
    if not weights.is_file():
        raise ValueError(
            f"no trained weights ship for {name_or_path!r} (shipped: {', '.join(list_pretrained()) or 'none'}); "
            "train one with `mmretrieval train` or pass pretrained=False for an untrained adapter"
        )
    return config, load_file(str(weights))


def _check_name(name_or_path: str) -> None:
    path = Path(name_or_path).expanduser()
    if name_or_path not in list_models() and ("/" in name_or_path or path.suffix):
        raise FileNotFoundError(f"model folder {name_or_path!r} does not exist")

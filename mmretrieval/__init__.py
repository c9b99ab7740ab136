"""mmretrieval: CLIP-style image-text retrieval on a frozen text embedding model."""

from .config import AdapterConfig, ModelConfig, TextTowerConfig, TrunkConfig
from .images import ImageLoadError, load_image
from .model import MMRetrievalModel
from .registry import DEFAULT_MODEL, list_models, list_pretrained, load_model

__version__ = "0.1.0"

__all__ = [
    "AdapterConfig",
    "DEFAULT_MODEL",
    "ImageLoadError",
    "MMRetrievalModel",
    "ModelConfig",
    "TextTowerConfig",
    "TrunkConfig",
    "list_models",
    "list_pretrained",
    "load_image",
    "load_model",
]

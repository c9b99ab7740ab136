"""mmretrieval: CLIP-style image-text retrieval on a frozen text embedding model.

The public names below load on first use (PEP 562), so ``import mmretrieval`` and the command
line's ``--help`` do not import torch.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .lazy import lazy_exports

try:
    __version__ = version("mmretrieval")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

_PUBLIC = {
    "AdapterConfig": ".config",
    "ApiTextConfig": ".config",
    "ModelConfig": ".config",
    "TextTowerConfig": ".config",
    "TrunkConfig": ".config",
    "ImageLoadError": ".images",
    "load_image": ".images",
    "Index": ".indexing.index",
    "MMRetrievalModel": ".model",
    "DEFAULT_MODEL": ".registry",
    "list_models": ".registry",
    "list_pretrained": ".registry",
    "load_model": ".registry",
}

__all__ = sorted(_PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)

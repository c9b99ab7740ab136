"""Model descriptions as small frozen dataclasses that round-trip through JSON."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union


@dataclass(frozen=True)
class TextTowerConfig:
    """A frozen text encoder: HF id, local folder, or packaged short name (``minilm-l6``)."""

    model: str
    pooling: Optional[str] = None  # "mean" | "cls" | "last"; None: from the model folder, else mean
    max_length: int = 512
    prompts: dict = field(default_factory=dict)  # task name -> prefix; {} means look it up
    task_adapters: bool = False  # jina-embeddings-v3: pick a LoRA adapter per task
    trust_remote_code: bool = False


@dataclass(frozen=True)
class ApiTextConfig:
    """A frozen text model behind an OpenAI-compatible ``/v1/embeddings`` endpoint (see docs/api-tower.md).

    The key is read from the environment variable ``api_key_env`` at run time, never stored here.
    """

    model: str  # the endpoint's model name, e.g. "text-embedding-3-small"
    kind: str = "openai"
    base_url: Optional[str] = None  # e.g. "http://127.0.0.1:7997/v1"; None: $OPENAI_BASE_URL, else OpenAI's
    dimensions: Optional[int] = None  # sent as ``dimensions`` (Matryoshka models); None: the model's own size
    api_key_env: str = "OPENAI_API_KEY"
    prompts: dict = field(default_factory=dict)  # task name -> prefix; {} means by model family (none for OpenAI's)
    timeout: float = 60.0  # seconds per request
    max_retries: int = 4  # retries of a failed request (connection errors, 408, 409, 429, 5xx), with backoff


API_TEXT_KINDS = ("openai",)


def text_config_from_dict(data: dict):
    """A ``TextTowerConfig`` (local model) or, for ``"kind": "openai"``, an ``ApiTextConfig``."""
    kind = data.get("kind", "local")
    if kind in API_TEXT_KINDS:
        return ApiTextConfig(**data)
    if kind != "local":
        raise ValueError(f"unknown text tower kind {kind!r}; choose local (a model mmretrieval loads) or "
                         f"{', '.join(API_TEXT_KINDS)} (an OpenAI-compatible embeddings endpoint)")
    return TextTowerConfig(**{k: v for k, v in data.items() if k != "kind"})


@dataclass(frozen=True)
class TrunkConfig:
    """A frozen image feature extractor."""

    kind: str = "efficientnet-lite"  # "efficientnet-lite" | "open_clip" | "hf" | "timm"
    name: str = "efficientnet-lite0"  # hf: a Hub id or local folder; timm: a model name
    pretrained: Optional[str] = None  # open_clip / timm: a pretrained tag or a checkpoint file; None: random weights
    image_size: Optional[int] = None  # None: the trunk's native size
    tta_flip: bool = False  # average the pooled features of the image and its mirror image
    extra_stages: int = 0  # EfficientNet-Lite: also pool the last N stages' outputs, concatenated after the head's
    pooling: Optional[str] = None  # hf / timm: "pooler" | "cls" | "mean" | "cls+mean"; None: the model's pooler
    dtype: Optional[str] = None  # hf / timm: "float32" | "float16" | "bfloat16"; None: half on GPU, float32 on CPU


@dataclass(frozen=True)
class AdapterConfig:
    """The trainable map from trunk features to the text space."""

    kind: str = "linear"  # "linear" | "mlp" | "attention"
    hidden_dim: int = 1024
    input_dropout: float = 0.0  # dropout on trunk features while training
    num_heads: int = 4  # attention pooling only


@dataclass(frozen=True)
class ConceptPriorConfig:
    """How image vectors take in the trunk's own classifier (``concept_prior``): ``unit(v) + w * c``, where
    ``c`` sums the class-name vectors of the ``top_k`` likeliest classes weighted by their probabilities, and
    ``w`` is ``weight`` (``weighting="fixed"``) or ``weight`` times the top class's probability (``"max_prob"``)."""

    weight: float = 0.25
    top_k: int = 10
    weighting: str = "fixed"  # "fixed" | "max_prob"
    label_set: str = ""  # which classes (e.g. "imagenet-1k"), filled in from the trunk's head when built

    def __post_init__(self):
        if not 0.0 <= self.weight <= 4.0:
            raise ValueError(f"concept_prior.weight is {self.weight}; use 0 (no effect) to 4")
        if self.top_k < 1:
            raise ValueError(f"concept_prior.top_k is {self.top_k}; it must be at least 1")
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"concept_prior.weighting is {self.weighting!r}; choose one of {', '.join(WEIGHTINGS)}")


WEIGHTINGS = ("fixed", "max_prob")


# The format of a saved config.json. Files from before it was recorded have none and are format 1;
# raise it when a change would make older code misread a new file, and read older formats on load.
CONFIG_VERSION = 1
VERSION_KEY = "version"


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a model; the towers are referenced, never copied."""

    name: str
    text: Union[TextTowerConfig, ApiTextConfig]
    trunk: TrunkConfig = TrunkConfig()
    adapter: AdapterConfig = AdapterConfig()
    embed_dim: int = 384
    matryoshka_dims: tuple = ()
    description: str = ""
    # "centred": text and images share the fitted space (t - caption_mean) @ rotation.
    # "raw": full-dim vectors live in the text model's own space (text vectors are exactly the text
    # model's); the fitted space serves only Matryoshka prefixes (truncate_dim, the store's small vector).
    space: str = "centred"
    # raw space only: every image vector's cosine with the caption-mean direction (None: |caption mean|,
    # the captions' own mean; a smaller value ranks captions for an image better, see docs/MODEL_CARD.md)
    image_mean_cos: Optional[float] = None
    # Calibrated on real data for these trained weights (None: not calibrated; see docs/filters.md and eval/):
    # the least text->image cosine a search hit keeps (``min_score``), the least cosine between a query and
    # the text read in a photo that counts as a match (``ocr_floor``, see ``search.relevance``), and the
    # least image->image cosine at which two photos count as near-duplicates (``duplicate_threshold``).
    min_score: Optional[float] = None
    ocr_floor: Optional[float] = None
    duplicate_threshold: Optional[float] = None
    # the trunk's classifier mixed into image vectors (None: none; see ``concept_prior``); its class-name
    # vectors are saved beside the weights (``concept_prior.safetensors``)
    concept_prior: Optional[ConceptPriorConfig] = None

    def uncalibrated(self) -> "ModelConfig":
        """This config without the values calibrated for its trained weights (for new or mapped weights)."""
        return dataclasses.replace(self, min_score=None, ocr_floor=None, duplicate_threshold=None)

    def to_dict(self) -> dict[str, Any]:
        """The config as saved in ``config.json``, with the format ``version`` first (no ``concept_prior``
        key without one: such a model describes itself as before priors existed)."""
        out = {VERSION_KEY: CONFIG_VERSION, **dataclasses.asdict(self)}
        if self.concept_prior is None:
            del out["concept_prior"]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        data = dict(data)
        version = data.pop(VERSION_KEY, 1)
        if not isinstance(version, int) or not 1 <= version <= CONFIG_VERSION:
            raise ValueError(f"model config format {version!r} is not one this mmretrieval reads (1 to "
                             f"{CONFIG_VERSION}); it was probably written by a newer release: upgrade mmretrieval")
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        return cls(
            **{
                **data,
                "text": text_config_from_dict(data["text"]),
                "trunk": TrunkConfig(**data.get("trunk", {})),
                "adapter": AdapterConfig(**data.get("adapter", {})),
                "matryoshka_dims": tuple(data.get("matryoshka_dims", ())),
                "concept_prior": ConceptPriorConfig(**data["concept_prior"]) if data.get("concept_prior") else None,
            }
        )

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> "ModelConfig":
        return cls.from_dict(json.loads(Path(path).read_text()))

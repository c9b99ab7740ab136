"""Which model a run evaluates: a small spec that loads it and describes it for the result JSON."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

KINDS = ("mmretrieval", "open_clip")


@dataclass(frozen=True)
class ModelSpec:
    """``kind="mmretrieval"``: a built-in name or saved folder (``pretrained=False``: untrained adapter).
    ``kind="open_clip"``: an architecture + ``pretrained`` tag or checkpoint path; ``config`` registers a
    custom architecture JSON first (e.g. the CLIP trained from scratch here)."""

    name: str
    kind: str = "mmretrieval"
    pretrained: object = True  # mmretrieval: bool; open_clip: tag, checkpoint path or None
    config: Optional[str] = None
    label: Optional[str] = None  # how results name it; defaults to name
    text_task: str = "retrieval.query"  # the text tower task captions, prompts and questions use
    seed: int = 0  # for untrained weights

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"model kind must be one of {KINDS}, got {self.kind!r}")

    @property
    def title(self) -> str:
        return self.label or self.name

    @classmethod
    def from_dict(cls, data: dict) -> "ModelSpec":
        return cls(**data)

    def load(self, device: Optional[str] = None):
        import torch

        torch.manual_seed(self.seed)
        if self.kind == "mmretrieval":
            from ..registry import load_model

            return load_model(self.name, device=device, pretrained=bool(self.pretrained))
        import open_clip

        from ..baselines import OpenCLIPModel

        if self.config:
            open_clip.add_model_config(Path(self.config).expanduser())
        return OpenCLIPModel(self.name, pretrained=self.pretrained, device=device)

    def describe(self) -> dict:
        """The spec plus a checksum of a local checkpoint, so a result names exactly what ran."""
        out = {k: v for k, v in asdict(self).items() if v is not None}
        if self.kind == "open_clip" and self.pretrained and Path(str(self.pretrained)).expanduser().is_file():
            out["checkpoint_sha256"] = hashlib.sha256(Path(self.pretrained).expanduser().read_bytes()).hexdigest()
        return out

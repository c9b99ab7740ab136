"""Which model a run evaluates: a small spec that loads it and describes it for the result JSON."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

KINDS = ("mmretrieval", "open_clip")
TRAIN_LOG = "train_log.json"  # read from beside a local checkpoint, if there


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
        """How results and file names call it: the label, else name + what weights it has."""
        if self.label:
            return self.label
        name = Path(self.name).name
        if self.kind == "mmretrieval":
            return name if self.pretrained else f"{name}-untrained"
        weights = Path(str(self.pretrained)).stem if self.pretrained else "random"
        return f"{name}-{weights}"

    @classmethod
    def from_dict(cls, data: dict) -> "ModelSpec":
        return cls(**data)

    def load(self, device: Optional[str] = None, runtime: Optional[str] = None):
        import torch

        with torch.random.fork_rng(devices=[]):  # seeds untrained weights; the caller's RNG is left as it was
            torch.manual_seed(self.seed)
            if self.kind == "mmretrieval":
                from ..registry import load_model

                return load_model(self.name, device=device, pretrained=bool(self.pretrained), runtime=runtime)
            from ..baselines import OpenCLIPModel

            return OpenCLIPModel(self.name, pretrained=self.pretrained, device=device, config=self.config)

    def describe(self) -> dict:
        """The spec plus checksums of local weights (and a checkpoint's training log): what exactly ran."""
        out = {k: v for k, v in asdict(self).items() if v is not None}
        if self.kind == "mmretrieval":
            weights = self._adapter_file()
            if weights is not None and weights.is_file():
                out["weights_sha256"] = _sha256(weights)
            return out
        checkpoint = Path(str(self.pretrained)).expanduser()
        if checkpoint.is_file():
            out["checkpoint_sha256"] = _sha256(checkpoint)
            log = checkpoint.parent / TRAIN_LOG
            if log.is_file():  # how a locally trained checkpoint was made (eval/train_clip_baseline.py)
                out["training"] = json.loads(log.read_text())
        return out

    def _adapter_file(self) -> Optional[Path]:
        """The trained adapter weights of a built-in name or saved folder (None when untrained)."""
        if not self.pretrained:
            return None
        folder = Path(self.name).expanduser()
        if (folder / "adapter.safetensors").is_file():
            return folder / "adapter.safetensors"
        from importlib import resources

        return Path(str(resources.files("mmretrieval") / "pretrained" / f"{self.name}.safetensors"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()

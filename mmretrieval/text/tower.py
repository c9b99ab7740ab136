"""The frozen text tower: any Hugging Face encoder, pooled, with task prompts and Matryoshka output."""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import torch
from tqdm.auto import tqdm

from ..config import TextTowerConfig
from ..encoding import batches, default_device
from .encoder import TextEncoder
from .packaged import PACKAGED_HUB_IDS, PACKAGED_LOAD_KWARGS, PACKAGED_TEXT_MODELS
from .tasks import resolve_prompts

POOLINGS = ("mean", "cls", "last")
logger = logging.getLogger(__name__)


class TextTower(torch.nn.Module, TextEncoder):
    """Frozen text encoder. ``encode`` takes sentence-transformers' argument names."""

    def __init__(self, config: TextTowerConfig, device: Optional[str] = None):
        super().__init__()
        from transformers import AutoModel, AutoTokenizer

        self.config = config
        source, folder = _locate(config.model)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=config.trust_remote_code)
            with _quiet_weight_loading():
                self.model = AutoModel.from_pretrained(
                    source, trust_remote_code=config.trust_remote_code, **PACKAGED_LOAD_KWARGS.get(config.model, {})
                )
        except OSError as err:
            raise OSError(
                f"could not load text model {config.model!r}: {err}\n"
                "Give a local folder, a packaged name "
                f"({', '.join(PACKAGED_TEXT_MODELS)}), or a Hugging Face id while online."
            ) from err
        hub_id = PACKAGED_HUB_IDS.get(config.model, config.model)
        self.pooling = config.pooling or _folder_pooling(folder) or "mean"
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {self.pooling!r}")
        self.prompts = resolve_prompts(hub_id, folder, config.prompts)
        # jina-embeddings-v3 (remote code) picks a LoRA adapter per task through `adapter_mask`
        self.task_adapters = config.task_adapters or hasattr(self.model, "_adaptation_map")
        self.max_length = min(config.max_length, getattr(self.tokenizer, "model_max_length", 10**9))
        self.model.requires_grad_(False).eval()
        device = device or default_device()
        if device.startswith("cuda"):
            self.model.half()
        self.to(device)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def dim(self) -> int:
        return self.model.config.hidden_size

    @torch.inference_mode()
    def forward_texts(self, texts: list[str], task: Optional[str] = None) -> torch.Tensor:
        """Pooled, un-normalised embeddings of one batch (prompt already applied by the caller)."""
        inputs = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        ).to(self.device)
        extra = {}
        if self.task_adapters and task is not None:
            task_id = self.model._adaptation_map[task]
            extra["adapter_mask"] = torch.full((len(texts),), task_id, dtype=torch.int32, device=self.device)
        hidden = self.model(**inputs, **extra)[0]
        return pool(hidden, inputs["attention_mask"], self.pooling)

    def embed(self, strings: list[str], task: Optional[str], batch_size: int,
              show_progress_bar: Optional[bool]) -> torch.Tensor:
        """Pooled, un-normalised embeddings of prefixed strings, in batches of similar length."""
        order = sorted(range(len(strings)), key=lambda i: -len(strings[i]))
        out = torch.empty(len(strings), self.dim)
        show = show_progress_bar if show_progress_bar is not None else len(strings) > 4 * batch_size
        for idx in tqdm(list(batches(order, batch_size)), desc="text", disable=not show):
            out[idx] = self.forward_texts([strings[i] for i in idx], task).float().cpu()
        return out


def pool(hidden: torch.Tensor, mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """Reduce token states ``(B, T, D)`` to ``(B, D)`` under the attention mask."""
    if pooling == "cls":
        return hidden[:, 0]
    if pooling == "last":
        # index of the last real token in each row (works for left and right padding)
        last = mask.shape[1] - 1 - mask.flip(1).float().argmax(dim=1)
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


def _locate(model: str) -> tuple[str, Optional[Path]]:
    """Return ``(source for from_pretrained, local folder or None)``."""
    if model in PACKAGED_TEXT_MODELS:
        folder = PACKAGED_TEXT_MODELS[model]()
        return str(folder), folder
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path), path
    if path.suffix or model.startswith((".", "/", "~")):
        raise FileNotFoundError(f"text model folder {model!r} does not exist")
    return model, _hub_snapshot(model)


def _hub_snapshot(model_id: str) -> Optional[Path]:
    """The local snapshot folder of a hub model, if it has been downloaded (for its pooling/prompts)."""
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model_id, allow_patterns=["*.json"]))
    except Exception:  # offline or unknown id: fall back to defaults
        return None


def _folder_pooling(folder: Optional[Path]) -> Optional[str]:
    """Read sentence-transformers' ``1_Pooling/config.json`` if the folder has one."""
    if folder is None or not (folder / "1_Pooling" / "config.json").is_file():
        return None
    cfg = json.loads((folder / "1_Pooling" / "config.json").read_text())
    for key, name in (("pooling_mode_cls_token", "cls"), ("pooling_mode_lasttoken", "last")):
        if cfg.get(key):
            return name
    return "mean"


@contextmanager
def _quiet_weight_loading():
    """Hide transformers' per-checkpoint "Loading weights" bar (shown with debug logging, e.g. ``-v``);
    download bars (huggingface_hub's) are untouched, and the caller's setting is restored."""
    from transformers.utils import logging as hf_logging

    if logger.isEnabledFor(logging.DEBUG) or not hf_logging.is_progress_bar_enabled():
        yield
        return
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.enable_progress_bar()

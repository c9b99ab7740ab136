"""An open_clip CLIP or SigLIP model with mmretrieval's encode interface."""

from __future__ import annotations

from typing import Optional

import torch
from tqdm.auto import tqdm

from ..encoding import as_list, batches, default_device, finish
from ..images import load_image
from .open_clip_loader import create_open_clip, registered_architecture


class OpenCLIPModel:
    """``OpenCLIPModel("ViT-B-32", pretrained="laion2b_s34b_b79k")`` or a local checkpoint path.

    ``task`` is accepted for interface parity with the joint model and ignored: CLIP has no prompts.
    """

    def __init__(self, name: str, pretrained: Optional[str] = None, device: Optional[str] = None,
                 config: Optional[str] = None):
        self.name, self.pretrained = name, pretrained
        self.device = device or default_device()
        with registered_architecture(config):  # a custom architecture JSON, known to open_clip only meanwhile
            import open_clip

            self.model, self.preprocess_image, self.tokenizer = create_open_clip(name, pretrained, self.device)
            self._embed_dim = open_clip.get_model_config(name)["embed_dim"]

    @property
    def embed_dim(self) -> int:
        return self._embed_dim

    @torch.inference_mode()
    def encode_text(self, sentences, task: Optional[str] = None, batch_size: int = 64,
                    show_progress_bar: Optional[bool] = None, normalize_embeddings: bool = True,
                    truncate_dim: Optional[int] = None, convert_to_numpy: bool = True,
                    convert_to_tensor: bool = False):
        texts, single = as_list(sentences)
        chunks = list(batches(range(len(texts)), batch_size))
        show = show_progress_bar if show_progress_bar is not None else len(texts) > 4 * batch_size
        parts = [
            self.model.encode_text(self.tokenizer([texts[i] for i in idx]).to(self.device)).float().cpu()
            for idx in tqdm(chunks, desc="text", disable=not show)
        ]
        return finish(torch.cat(parts), normalize_embeddings=normalize_embeddings, truncate_dim=truncate_dim,
                      convert_to_numpy=convert_to_numpy, convert_to_tensor=convert_to_tensor, single=single)

    @torch.inference_mode()
    def encode_image(self, images, batch_size: int = 64, show_progress_bar: Optional[bool] = None,
                     normalize_embeddings: bool = True, truncate_dim: Optional[int] = None,
                     convert_to_numpy: bool = True, convert_to_tensor: bool = False):
        items, single = as_list(images)
        chunks = list(batches(range(len(items)), batch_size))
        show = show_progress_bar if show_progress_bar is not None else len(items) > 4 * batch_size
        parts = []
        for idx in tqdm(chunks, desc="images", disable=not show):
            pixels = torch.stack([self.preprocess_image(load_image(items[i])) for i in idx]).to(self.device)
            parts.append(self.model.encode_image(pixels).float().cpu())
        return finish(torch.cat(parts), normalize_embeddings=normalize_embeddings, truncate_dim=truncate_dim,
                      convert_to_numpy=convert_to_numpy, convert_to_tensor=convert_to_tensor, single=single)

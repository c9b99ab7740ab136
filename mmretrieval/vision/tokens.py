"""Shared by the Hugging Face and timm trunks: token maps -> pooled features / patch grid, and compute dtype."""

from __future__ import annotations

from typing import Optional

import torch

POOLINGS = ("pooler", "cls", "mean", "cls+mean")
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def check_pooling(pooling: str, has_prefix: bool, has_pooler: bool) -> None:
    """Refuse a pooling the model cannot give, saying which ones it can."""
    if pooling not in POOLINGS:
        raise ValueError(f"trunk pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}")
    possible = [p for p in POOLINGS if (p != "pooler" or has_pooler) and ("cls" not in p or has_prefix)]
    if pooling not in possible:
        raise ValueError(f"this model has no {'pooler output' if pooling == 'pooler' else 'CLS token'}; "
                         f"choose trunk pooling from {', '.join(possible)}")


def patch_grid(hidden: torch.Tensor, num_prefix: int) -> torch.Tensor:
    """``(B, N, C)`` patch features: ViT tokens after the CLS/register tokens, or a conv map ``(B, C, H, W)`` flattened."""
    if hidden.dim() == 4:
        return hidden.flatten(2).transpose(1, 2)
    return hidden[:, num_prefix:]


def pool(hidden: torch.Tensor, num_prefix: int, pooling: str, pooler: Optional[torch.Tensor] = None) -> torch.Tensor:
    """One feature vector per image: the model's own pooler, the CLS token, the patch mean, or CLS and mean side by side."""
    if pooling == "pooler":
        return pooler.flatten(1)
    grid_mean = patch_grid(hidden, num_prefix).mean(dim=1)
    if pooling == "mean":
        return grid_mean
    cls = hidden[:, 0]
    return cls if pooling == "cls" else torch.cat([cls, grid_mean], dim=1)


def compute_dtype(dtype: Optional[str], device: Optional[str]) -> torch.dtype:
    """``None``/``"auto"``: bfloat16 on a GPU that has it, else float16 on GPU, float32 on CPU; else the named dtype."""
    if dtype not in (None, "auto", *DTYPES):
        raise ValueError(f"trunk dtype must be auto, {', '.join(DTYPES)}; got {dtype!r}")
    if dtype in DTYPES:
        return DTYPES[dtype]
    if not str(device or "cpu").startswith("cuda"):
        return torch.float32
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def dtype_tag(dtype: torch.dtype) -> str:
    """Cache tag for a non-default compute dtype (half-precision features are not float32 features)."""
    return "" if dtype == torch.float32 else f"dtype={str(dtype).removeprefix('torch.')}"

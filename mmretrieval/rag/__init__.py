"""Multimodal retrieval-augmented generation: passages, fused image+text retrieval, context bundles."""

from .bundle import ContextBundle, ContextItem, build_prompt
from ..search.fusion import FUSION_METHODS, FusedHit, fuse
from .generate import GeneratorConfig, generate
from ..indexing.passages import Passage, read_document, split_passages
from .retrieve import retrieve

__all__ = [
    "FUSION_METHODS",
    "ContextBundle",
    "ContextItem",
    "FusedHit",
    "GeneratorConfig",
    "Passage",
    "build_prompt",
    "fuse",
    "generate",
    "read_document",
    "retrieve",
    "split_passages",
]

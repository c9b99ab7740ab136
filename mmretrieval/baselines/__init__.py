"""CLIP/SigLIP baselines behind the same ``encode_text`` / ``encode_image`` interface."""

from .open_clip_model import OpenCLIPModel

__all__ = ["OpenCLIPModel"]

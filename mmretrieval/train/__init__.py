"""Train the vision adapter from cached frozen-tower features.

``data`` reads image-caption pairs, ``cache`` stores trunk features and caption embeddings on disk,
``features`` turns pairs into cached tensors, ``losses`` holds InfoNCE/SigLIP/Matryoshka,
``matryoshka`` fits the joint space's mean and rotation, ``metrics`` computes recall@K, and
``loop`` runs the training.
"""

from .cache import ImageFeatures, image_features, text_embeddings
from .data import Pairs, load_pairs
from .losses import InfoNCELoss, MatryoshkaLoss, SigLIPLoss, build_loss
from .loop import TrainConfig, TrainResult, train

__all__ = [
    "ImageFeatures",
    "InfoNCELoss",
    "MatryoshkaLoss",
    "Pairs",
    "SigLIPLoss",
    "TrainConfig",
    "TrainResult",
    "build_loss",
    "image_features",
    "load_pairs",
    "text_embeddings",
    "train",
]

"""Train the vision adapter from cached frozen-tower features.

``data`` reads image-caption pairs, ``cache`` stores trunk features and caption embeddings on disk,
``features`` turns pairs into cached tensors, ``shard_features`` streams webdataset shards into a
memory-mapped ``feature_table``, ``losses`` holds InfoNCE/SigLIP/Matryoshka,
``matryoshka`` fits the joint space's mean and rotation, ``metrics`` computes recall@K, ``recipe``
holds the training options and ``loop`` runs the training. Names load on first use (no torch for
``mmretrieval train --help``).
"""

from ..lazy import lazy_exports

_PUBLIC = {
    "ImageFeatures": ".cache",
    "image_features": ".cache",
    "text_embeddings": ".cache",
    "Pairs": ".data",
    "load_pairs": ".data",
    "InfoNCELoss": ".losses",
    "MatryoshkaLoss": ".losses",
    "SigLIPLoss": ".losses",
    "build_loss": ".losses",
    "FeatureTable": ".feature_table",
    "shard_features": ".shard_features",
    "shard_pair_features": ".shard_features",
    "TrainConfig": ".recipe",
    "TrainResult": ".loop",
    "train": ".loop",
}

__all__ = sorted(_PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)

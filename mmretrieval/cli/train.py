"""``mmretrieval train``: train a vision adapter on image-caption pairs (features cached on disk)."""

from __future__ import annotations

import dataclasses

from ..registry import DEFAULT_MODEL
from .text_endpoint import add_text_endpoint_args, with_text_endpoint

SHOW_SKIPPED = 50  # skipped inputs listed one by one; the rest are counted


def register(subparsers) -> None:
    from ..train.recipe import TrainConfig  # its defaults are what --help shows

    default = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
    parser = subparsers.add_parser(
        "train", help="train the vision adapter on image-caption pairs",
        description="Train the adapter of a named model on image-caption pairs. DATA is a Flickr8k-style folder "
        "or token file, a COCO/Karpathy JSON, a .csv/.tsv/.jsonl with image,caption columns, a folder of "
        "images with sidecar .txt captions, or webdataset shards (img2dataset's output: 'cc3m/{00000..00331}.tar', "
        "streamed into a memory-mapped feature table, resumable). Unreadable images are skipped and listed.",
    )
    parser.add_argument("data", help="training pairs (see above)")
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help="architecture to train: a built-in name or a model config .json (default: %(default)s)")
    parser.add_argument("--split", default=None, help="split of DATA to train on (e.g. train)")
    parser.add_argument("--dev", default=None, help="dev pairs (default: DATA's 'dev' split when --split is given)")
    parser.add_argument("--dev-split", default="dev", help="split of the dev data (default: %(default)s)")
    parser.add_argument("--images", default=None, help="folder that relative image paths resolve against")
    parser.add_argument("--out", default="runs/train", help="output folder: log.jsonl, checkpoint.pt, best/")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its last epoch")
    parser.add_argument("--epochs", type=int, help=f"passes over the captions (default: {default['epochs']})")
    parser.add_argument("--batch-size", type=int,
                        help="captions per step; each is contrasted with the rest of its batch "
                             f"(default: {default['batch_size']})")
    parser.add_argument("--lr", type=float,
                        help=f"peak AdamW learning rate, after warm-up then cosine decay (default: {default['lr']})")
    parser.add_argument("--weight-decay", type=float, help=f"AdamW weight decay (default: {default['weight_decay']})")
    parser.add_argument("--loss", choices=("infonce", "siglip"),
                        help=f"contrastive loss: softmax InfoNCE (CLIP) or sigmoid SigLIP (default: {default['loss']})")
    parser.add_argument("--no-matryoshka", dest="matryoshka", action="store_false", default=None,
                        help="train on the full dimension only")
    parser.add_argument("--matryoshka-weights", nargs="+", type=float,
                        help="loss weight per Matryoshka dim of the model config (default: all 1)")
    parser.add_argument("--no-center", dest="center_text", action="store_false", default=None,
                        help="do not subtract the caption mean from text vectors")
    parser.add_argument("--flip-augment", action="store_true", default=None,
                        help="train each image on its plain or mirrored view, picked per epoch (both cached)")
    parser.add_argument("--no-tta-flip", action="store_true",
                        help="train on plain features even where the model config averages each image with its mirror")
    parser.add_argument("--dropout", type=float, help="input feature dropout (overrides the model config)")
    parser.add_argument("--centroid-weight", type=float,
                        help="weight of a regression of each image onto its captions' mean, beside the contrastive "
                        "loss (keeps images on the language-neutral part of the caption space; default: "
                        f"{default['centroid_weight']})")
    parser.add_argument("--space", choices=("centred", "raw"),
                        help="joint space (overrides the model config): raw keeps text vectors exactly the text "
                        "model's and trains image vectors for that space; centred subtracts the caption mean")
    parser.add_argument("--captions", nargs="+", default=None, metavar="TABLE",
                        help="more captions of the same photos, e.g. in another language: .tsv/.csv/.jsonl with "
                        "image and caption columns (Flickr8k-CN's zh_captions.tsv); each row joins the train or dev "
                        "image with its file name, so one run trains on every language given")
    parser.add_argument("--concept-prior", type=float, metavar="WEIGHT",
                        help="mix the trunk's own classifier into image vectors (its class names embedded by the "
                        "text tower, see docs/concept-prior.md) with this weight; 0 turns off a prior the model "
                        "config has (default: the model config's)")
    parser.add_argument("--concept-top-k", type=int, metavar="K",
                        help="classes whose name vectors the prior sums, likeliest first (default: the model "
                        "config's, else 10)")
    parser.add_argument("--concept-weighting", choices=("fixed", "max_prob"),
                        help="the prior's weight as given, or scaled by the top class's probability "
                        "(default: the model config's, else fixed)")
    parser.add_argument("--seed", type=int, help=f"random seed (default: {default['seed']})")
    parser.add_argument("--cache", default=None, help="feature cache folder (default: ~/.cache/mmretrieval/features)")
    add_text_endpoint_args(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    import json
    from pathlib import Path

    from ..config import ModelConfig
    from ..model import MMRetrievalModel
    from ..registry import get_model_config
    from ..train.shards import is_shard_source
    from ..train.data import add_captions, load_pairs
    from ..train.loop import TrainConfig, train
    from ..train.shard_features import shard_pair_features
    from ..train.bank import training_bank

    config = ModelConfig.load(Path(args.model)) if args.model.endswith(".json") else get_model_config(args.model)
    config = with_text_endpoint(config, args)
    if args.dropout is not None:
        config = dataclasses.replace(config, adapter=dataclasses.replace(config.adapter, input_dropout=args.dropout))
    if args.space:
        config = dataclasses.replace(config, space=args.space)
    config = _with_concept_prior(config, args.concept_prior, args.concept_top_k, args.concept_weighting)
    if args.no_tta_flip:
        config = dataclasses.replace(config, trunk=dataclasses.replace(config.trunk, tta_flip=False))
    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)
                 if getattr(args, f.name, None) is not None}
    if args.matryoshka_weights:
        overrides["matryoshka_weights"] = tuple(args.matryoshka_weights)
    recipe = TrainConfig(**overrides)
    cache = Path(args.cache) if args.cache else None
    model = MMRetrievalModel(config, runtime=getattr(args, "runtime", None))

    def pairs_of(source, split):
        if is_shard_source(source):
            if args.captions:
                raise ValueError("--captions joins rows to images by file name; it does not apply to webdataset "
                                 "shards: put every caption in the shards instead")
            return shard_pair_features(model, source, root=cache, show_progress_bar=True)
        pairs = load_pairs(source, split=split, images=args.images)
        return add_captions(pairs, args.captions) if args.captions else pairs

    train_pairs = pairs_of(args.data, args.split)
    dev_pairs = pairs_of(args.dev or args.data, args.dev_split) if args.dev or args.split else None
    print(f"training {config.name}: {_describe(train_pairs)}" + (f", dev {_describe(dev_pairs)}" if dev_pairs else ""))
    result = train(model, train_pairs, dev_pairs, recipe, out_dir=args.out, resume=args.resume,
                   cache_root=cache, show_progress_bar=True)
    skipped = list(result.skipped.items())
    for path, reason in skipped[:SHOW_SKIPPED]:
        print(f"skipped {path}: {reason}")
    if len(skipped) > SHOW_SKIPPED:
        print(f"... and {len(skipped) - SHOW_SKIPPED} more skipped")
    print(f"best epoch {result.best_epoch + 1}: {json.dumps({k: round(v, 2) for k, v in result.best_metrics.items()})}")
    model.bank = training_bank(model, train_pairs, root=cache)  # (search ranks photos against it: query_bank)
    model.bank.save(Path(args.out) / "best")
    print(f"saved {Path(args.out) / 'best'} (load it with load_model({str(Path(args.out) / 'best')!r}))")
    return 0


def _with_concept_prior(config, weight, top_k, weighting):
    """``config`` with ``--concept-prior`` / ``--concept-top-k`` / ``--concept-weighting`` applied (weight 0: no prior)."""
    from ..config import ConceptPriorConfig

    if weight is None and top_k is None and weighting is None:
        return config
    if weight == 0:
        return dataclasses.replace(config, concept_prior=None)
    settings = config.concept_prior or ConceptPriorConfig()
    changes = {k: v for k, v in (("weight", weight), ("top_k", top_k), ("weighting", weighting)) if v is not None}
    return dataclasses.replace(config, concept_prior=dataclasses.replace(settings, **changes))


def _describe(pairs) -> str:
    from ..train.features import PairFeatures

    if isinstance(pairs, PairFeatures):
        return f"{len(pairs.text)} pairs from webdataset shards"
    return f"{len(pairs)} captions of {len(pairs.images)} images"

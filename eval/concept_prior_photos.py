"""Object queries on out-of-domain photos, with and without the default's concept prior (issue 25).

A gallery of photos the adapter's Flickr8k captions rarely name: the 5 photos in ``assets/``, 20 Imagenette photos
per class (200), 10 CIFAR-10 test images per class (100, 32x32), and 300 Flickr8k dev photos as everyday
distractors. Each query names an object; a photo is right when it shows it (an asset photo, or any photo of the
class). The rank is the first right photo's, ranked as search ranks photos (full-dim cosine conditioned on the
model's query bank, ``search.conditioning``). Imagenette and CIFAR-10 classes overlap the prior's ImageNet-1k
label set: those ranks show what the prior is for, they are not zero-shot.

    python eval/concept_prior_photos.py [--model e5-small-lite0] [--weight 0.5 --top-k 1]

A model without a prior gets one with ``--weight`` / ``--top-k`` (default: the dev pick of eval/concept_prior.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np

from mmretrieval import load_model
from mmretrieval.concept_prior import add_prior
from mmretrieval.config import ConceptPriorConfig
from mmretrieval.evaluation.datasets import load_dataset
from mmretrieval.evaluation.features import encode_images, encode_texts
from mmretrieval.search.conditioning import conditioned_scores
from mmretrieval.train.data import load_pairs
from script_args import data_root

ROOT = Path(__file__).resolve().parent.parent
DATA = data_root()
ASSET_QUERIES = {"astronaut.jpg": ["an astronaut", "a man in a space suit"], "camera.jpg": ["a camera"],
                 "cat.jpg": ["a cat", "a kitten"], "coffee.jpg": ["a cup of coffee"],
                 "rocket.jpg": ["a rocket", "a rocket launch"]}
CIFAR_QUERIES = {"airplane": "an airplane", "automobile": "a car", "bird": "a bird", "cat": "a cat",
                 "deer": "a deer", "dog": "a dog", "frog": "a frog", "horse": "a horse", "ship": "a ship",
                 "truck": "a truck"}


def gallery():
    """``(paths, tags)``: each photo's path and the set of names it counts as right for."""
    paths = [str(ROOT / "assets" / name) for name in ASSET_QUERIES]
    tags = [{name} for name in ASSET_QUERIES]
    for name, per_class, extra in (("imagenette", 20, {}), ("cifar10", 10, {"max_per_class": 10})):
        data = load_dataset(name, str(DATA), **extra)
        seen: dict = {}
        for path, label in zip(data.images, data.labels):
            if seen.get(label, 0) < per_class:
                seen[label] = seen.get(label, 0) + 1
                paths.append(path)
                tags.append({f"{name}:{data.classnames[label]}"})
        if name == "cifar10":  # a CIFAR cat is right for "a cat" too, and the asset cat for CIFAR's "a cat"
            for tag in tags:
                tag |= {"cat.jpg"} if "cifar10:cat" in tag else set()
    dev = load_pairs(DATA / "flickr8k", split="dev").images[:300]
    return paths + list(dev), tags + [set() for _ in dev]


def queries(imagenette_names):
    out = [(q, name) for name, qs in ASSET_QUERIES.items() for q in qs]
    out += [(f"a {name}", f"imagenette:{name}") for name in imagenette_names]
    out += [(q, f"cifar10:{name}") for name, q in CIFAR_QUERIES.items()]
    return out


def ranks(model, paths, tags, asked) -> list[int]:
    images = encode_images(model, paths, show_progress_bar=False)
    texts = encode_texts(model, [q for q, _ in asked], "retrieval.query", show_progress_bar=False)
    scores = texts @ images.T
    if model.bank is not None:
        scores = conditioned_scores(scores, model.bank.hubness(images), model.bank.weight)
    out = []
    for row, (_, target) in zip(scores, asked):
        right = [i for i, tag in enumerate(tags) if target in tag]
        out.append(int((row > row[right].max()).sum()) + 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="e5-small-lite0")
    parser.add_argument("--weight", type=float, default=0.5, help="for a model without a prior (default: %(default)s)")
    parser.add_argument("--top-k", type=int, default=1, help="for a model without a prior (default: %(default)s)")
    args = parser.parse_args()
    model = load_model(args.model, device="cpu")
    if model.config.concept_prior is None:
        add_prior(model, ConceptPriorConfig(args.weight, args.top_k))
    paths, tags = gallery()
    asked = queries(load_dataset("imagenette", str(DATA)).classnames)
    after = ranks(model, paths, tags, asked)
    settings = model.config.concept_prior
    model.config = dataclasses.replace(model.config, concept_prior=None)
    before = ranks(model, paths, tags, asked)
    print(f"{len(paths)} photos; rank of the first right photo, without -> with the prior ({settings})")
    for (query, target), b, a in zip(asked, before, after):
        print(f"  {query!r:<34} ({target}): {b:>3} -> {a:>3}")
    for name, part in (("assets", slice(0, 8)), ("all", slice(None))):
        b, a = np.asarray(before[part]), np.asarray(after[part])
        print(f"{name}: ranked first {int((b == 1).sum())} -> {int((a == 1).sum())} of {len(b)}; "
              f"in the top 5 {int((b <= 5).sum())} -> {int((a <= 5).sum())}; median rank {np.median(b)} -> {np.median(a)}")
    out = ROOT / "eval" / "results" / f"concept_prior_photos_{args.model}.json"
    out.write_text(json.dumps({"model": args.model, "photos": len(paths), "settings": dataclasses.asdict(settings),
                               "queries": [{"query": q, "right": t, "rank_without": b, "rank_with": a}
                                           for (q, t), b, a in zip(asked, before, after)]}, indent=1) + "\n")


if __name__ == "__main__":
    main()

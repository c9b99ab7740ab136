"""Calibrate each model's relevance cut-off (``min_score``): the least text->image cosine a search hit keeps.

On Flickr8k, from the feature cache (nothing re-encoded but the unrelated queries):

- true matches: each caption's cosine with its own photo, for the captions whose photo ranks 1..5 among
  the split's 1,000 (what a search shows); the cut-off is the ``--keep`` quantile of *dev*'s (default:
  keeps 95%), rounded down to 0.01;
- unrelated queries, two real sets Flickr8k does not cover: (a) ``absent objects``: CLIP's 1,000 ImageNet
  class names (open_clip's list) of which no word appears in any Flickr8k caption, as "a photo of a {}."
  (photo-like queries for things the photos do not show: the hard case); (b) ``python docs``: sentences of
  Python's reference manual as it ships in the standard library (``pydoc_data.topics``: off-topic text).
  A query is rejected when its top-1 cosine over the split's photos is under the cut-off.

Reported on *test* (kept share of true matches, rejected share of each unrelated set), per model. A model
with a query bank ranks as search does (``search.conditioning.ranked_scores``): a true match counts when its
photo is among the first ``TOP_K`` of that ranking, and an unrelated query is rejected when every one of the
``DEFAULT_LIMIT`` hits search shows is under the cut-off (which compares the raw cosine, as search does).
For comparison, ``conditioned_floor`` gives the same calibration with the cut-off on the conditioned score. A
transfer check on other photos: the 5 photos of ``assets/`` (not Flickr8k's), the README's and examples'
queries (does the right photo clear the cut-off?) and the unrelated sets' top-1 cosines over those photos.

    python eval/calibrate_min_score.py [--models e5-small-lite0 minilm-l6-lite0] [--keep 0.95]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
from pathlib import Path

import torch

from mmretrieval import load_model
from mmretrieval.search.conditioning import ranked_scores
from mmretrieval.search.score import DEFAULT_LIMIT
from mmretrieval.train.data import load_pairs
from mmretrieval.train.features import CAPTION_TASK, pair_features
from script_args import add_data

ASSETS = Path(__file__).resolve().parent.parent / "assets"
ASSET_QUERIES = [  # the README's and examples/' queries on assets/, and the photo each means
    ("a cat lying on a couch", "cat.jpg"), ("a rocket launching into the sky", "rocket.jpg"),
    ("a man with a camera on a tripod", "camera.jpg"), ("eine Rakete startet in den Himmel", "rocket.jpg"),
    ("un homme avec un appareil photo", "camera.jpg"), ("a person in a space suit", "astronaut.jpg"),
    ("What does the launch look like?", "rocket.jpg"), ("a cup of coffee", "coffee.jpg")]
RESULTS = Path(__file__).resolve().parent / "results"
TOP_K = 5  # a true match counts when its photo is among the first TOP_K hits
WORD = re.compile(r"[a-z]+")


def caption_words(data: Path) -> set[str]:
    """Every lower-case word of every Flickr8k caption (all splits)."""
    text = (data / "captions.txt").read_text().lower()
    return set(WORD.findall(text))


def absent_object_queries(words: set[str]) -> list[str]:
    """"a photo of a {}." for the ImageNet class names none of whose words (nor their plural) Flickr8k uses."""
    from open_clip.zero_shot_metadata import IMAGENET_CLASSNAMES

    def absent(name: str) -> bool:
        return all(w not in words and w + "s" not in words and w + "es" not in words
                   for w in WORD.findall(name.lower()))

    return [f"a photo of a {name}." for name in dict.fromkeys(IMAGENET_CLASSNAMES) if absent(name)]


def python_doc_sentences(count: int, seed: int = 0) -> list[str]:
    """``count`` sentences (40-200 characters) of the Python reference manual in ``pydoc_data.topics``."""
    from pydoc_data.topics import topics

    sentences = []
    for text in topics.values():
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
            if 40 <= len(sentence) <= 200 and sentence[0].isupper():
                sentences.append(sentence)
    sentences = sorted(set(sentences))
    return random.Random(seed).sample(sentences, min(count, len(sentences)))


def split_vectors(model, data: Path, split: str):
    """Unit image vectors, unit caption vectors and each caption's image row, from cached features."""
    feats = pair_features(model, load_pairs(data, split=split), show_progress_bar=False)
    with torch.no_grad():
        images = torch.nn.functional.normalize(model.adapter_forward(feats.pooled.to(model.device)).float().cpu(), dim=-1)
    captions = torch.nn.functional.normalize(model.text_to_joint(feats.text.float()).float(), dim=-1)
    return images, captions, feats.image_index


def ranking(cosines: torch.Tensor, images, bank, limit: int) -> torch.Tensor:
    """The scores search ranks photos by for ``limit`` hits: cosines, or with ``bank`` its conditioned pool."""
    if bank is None:
        return cosines
    return torch.as_tensor(ranked_scores(cosines.numpy(), bank.hubness(images.numpy()), bank.weight, limit))


def true_match_cosines(images, captions, image_index, bank=None, conditioned: bool = False) -> torch.Tensor:
    """Cosine of each caption with its own photo (``conditioned``: its conditioned score), for the captions whose
    photo ranks 1..TOP_K as search ranks (with ``bank``)."""
    scores = captions @ images.T
    order = ranking(scores, images, bank, TOP_K)
    own = order.gather(1, image_index.view(-1, 1)).squeeze(1)
    rank = (order > own.view(-1, 1)).sum(1) + 1
    return (own if conditioned else scores.gather(1, image_index.view(-1, 1)).squeeze(1))[rank <= TOP_K]


def top1_cosines(model, queries: list[str], images, bank=None, conditioned: bool = False) -> torch.Tensor:
    """Each query's best raw cosine (``conditioned``: best conditioned score) among the hits search shows."""
    vectors = torch.as_tensor(model.encode_text(queries, task=CAPTION_TASK, batch_size=64)).float()
    scores = torch.nn.functional.normalize(vectors, dim=-1) @ images.T
    order = ranking(scores, images, bank, DEFAULT_LIMIT)
    shown = order.topk(min(DEFAULT_LIMIT, order.shape[1]), dim=1).indices
    return (order if conditioned else scores).gather(1, shown).max(1).values


def share(mask: torch.Tensor) -> float:
    return round(100.0 * float(mask.float().mean()), 1)


def calibrate(name: str, data: Path, keep: float, unrelated: dict[str, list[str]]) -> dict:
    model = load_model(name, device="cpu")
    dev, test = split_vectors(model, data, "dev"), split_vectors(model, data, "test")
    out = {"model": name, "bank": None if model.bank is None else model.bank.id,
           **floor_on(model, dev, test, keep, unrelated, conditioned=False)}
    if model.bank is not None:
        floor = floor_on(model, dev, test, keep, unrelated, conditioned=True)
        out["conditioned_floor"] = {k: v for k, v in floor.items() if not k.endswith("least_rejected")}
    out["assets"] = transfer_check(model, out["min_score"], unrelated)
    return out


def floor_on(model, dev, test, keep: float, unrelated: dict[str, list[str]], conditioned: bool) -> dict:
    """The cut-off keeping ``keep`` of dev's true matches and what it keeps/rejects on test, compared with the raw
    cosine (as search does) or, ``conditioned``, with the conditioned score."""
    bank = model.bank
    dev_true = true_match_cosines(*dev, bank=bank, conditioned=conditioned)
    cutoff = math.floor(float(torch.quantile(dev_true, 1.0 - keep)) * 100) / 100
    images, captions, index = test
    test_true = true_match_cosines(images, captions, index, bank=bank, conditioned=conditioned)
    out = {"min_score": cutoff, "keep_target": keep,
           "dev_true_matches": len(dev_true), "test_true_matches": len(test_true),
           "test_kept_true_matches_pct": share(test_true >= cutoff),
           "test_true_cosine": quantiles(test_true)}
    for label, queries in unrelated.items():
        top1 = top1_cosines(model, queries, images, bank=bank, conditioned=conditioned)
        out[f"{label}_queries"] = len(queries)
        out[f"{label}_rejected_pct"] = share(top1 < cutoff)
        out[f"{label}_top1_cosine"] = quantiles(top1)
        out[f"{label}_least_rejected"] = [q for _, q in sorted(zip(top1.tolist(), queries), reverse=True)[:5]]
    return out


def transfer_check(model, cutoff: float, unrelated: dict[str, list[str]]) -> dict:
    """On assets/: each README query's cosine with its photo (and whether it ranks first and clears the
    cut-off), and the share of each unrelated set whose top-1 over these photos the cut-off rejects."""
    names = sorted(p.name for p in ASSETS.glob("*.jpg"))
    images = torch.as_tensor(model.encode_image([str(ASSETS / n) for n in names])).float()
    scores = torch.as_tensor(model.encode_text([q for q, _ in ASSET_QUERIES], task=CAPTION_TASK)).float() @ images.T
    order = ranking(scores, images, model.bank, DEFAULT_LIMIT)
    rows = [{"query": q, "photo": photo, "cosine": round(float(s[names.index(photo)]), 4),
             "first": bool(int(o.argmax()) == names.index(photo)), "kept": bool(s[names.index(photo)] >= cutoff)}
            for (q, photo), s, o in zip(ASSET_QUERIES, scores, order)]
    out = {"queries": rows, "right_photo_kept": sum(r["kept"] for r in rows), "of": len(rows)}
    for label, queries in unrelated.items():
        top1 = top1_cosines(model, queries, images, bank=model.bank)
        out[f"{label}_rejected_pct"], out[f"{label}_top1_cosine"] = share(top1 < cutoff), quantiles(top1)
    return out


def quantiles(values: torch.Tensor) -> dict:
    qs = torch.quantile(values, torch.tensor([0.05, 0.5, 0.95]))
    return {"p05": round(float(qs[0]), 4), "median": round(float(qs[1]), 4), "p95": round(float(qs[2]), 4),
            "max": round(float(values.max()), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["e5-small-lite0", "minilm-l6-lite0"])
    add_data(parser)
    parser.add_argument("--keep", type=float, default=0.95, help="share of dev's true matches the cut-off keeps")
    parser.add_argument("--python-sentences", type=int, default=500)
    args = parser.parse_args()
    unrelated = {"absent_objects": absent_object_queries(caption_words(args.data)),
                 "python_docs": python_doc_sentences(args.python_sentences)}
    results = [calibrate(name, args.data, args.keep, unrelated) for name in args.models]
    report = {"split_calibrated": "dev", "split_reported": "test", "top_k": TOP_K, "results": results,
              "load_average": os.getloadavg()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "min_score.json").write_text(json.dumps(report, indent=1) + "\n")
    for r in results:
        print(f"{r['model']}: min_score {r['min_score']}  keeps {r['test_kept_true_matches_pct']}% of test true "
              f"matches (rank 1..{TOP_K}); rejects {r['absent_objects_rejected_pct']}% of "
              f"{r['absent_objects_queries']} absent-object queries, {r['python_docs_rejected_pct']}% of "
              f"{r['python_docs_queries']} Python-doc sentences. On assets/: the right photo clears it for "
              f"{r['assets']['right_photo_kept']} of {r['assets']['of']} README queries; rejects "
              f"{r['assets']['absent_objects_rejected_pct']}% / {r['assets']['python_docs_rejected_pct']}%")
        if "conditioned_floor" in r:
            c = r["conditioned_floor"]
            print(f"  (cut-off on the conditioned score instead: {c['min_score']}, keeps {c['test_kept_true_matches_pct']}%, "
                  f"rejects {c['absent_objects_rejected_pct']}% / {c['python_docs_rejected_pct']}%)")


if __name__ == "__main__":
    main()

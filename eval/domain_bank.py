"""Does a bank of a user's own queries help on their domain? (issue 24; docs/conditioning.md, "Your own bank")

The shipped bank is Flickr8k captions; on DAQUAR (indoor scenes, questions as queries) it costs question->image
R@5. This splits a VQA set by photo (seed 0: half train, a fifth dev, the rest test), writes the *train* photos'
questions as the user's query file (minus any text also asked of a dev or test photo, so no test question is in
the bank), and, once ``mmretrieval bank build`` has made a model from that file, ranks each split's photos for
its questions (``question_retrieval``, the split's photos only) with no bank, the default bank and the domain
bank, all through ``search.conditioning.ranked_scores`` (the pool and score search uses). The domain bank's
``k`` and ``weight`` are also chosen on dev (by R@5, then R@1) and reported on test.

    python eval/domain_bank.py split --dataset daquar --out runs/daquar-bank
    mmretrieval bank build e5-small-lite0 runs/daquar-bank/train_questions.txt --out runs/daquar-bank/model
    python eval/domain_bank.py measure --dataset daquar --out runs/daquar-bank
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from mmretrieval.evaluation.datasets import load_dataset
from mmretrieval.evaluation.metrics.ranking import hit_rates, percent, positives_mask
from mmretrieval.query_bank import QueryBank, load_bank
from mmretrieval.search.conditioning import ranked_scores
from script_args import data_root

DATA = str(data_root())
RESULTS = Path(__file__).resolve().parent / "results"
SPLITS = {"train": 0.5, "dev": 0.2}  # the rest is test
KS, WEIGHTS, RECALL = (10, 25, 50, 100), (0.25, 0.5, 0.75, 1.0), (1, 5, 10)


def photo_splits(n_photos: int, seed: int = 0) -> dict[str, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n_photos)
    train, dev = (round(n_photos * SPLITS[name]) for name in ("train", "dev"))
    return {"train": np.sort(order[:train]), "dev": np.sort(order[train:train + dev]),
            "test": np.sort(order[train + dev:])}


def split_questions(data, photos) -> dict[str, list[int]]:
    """``{question: [its photos' rows within photos]}`` for the questions asked of ``photos``."""
    row = {int(p): i for i, p in enumerate(photos)}
    out: dict[str, set] = {}
    for question, image in zip(data.questions, data.question_images):
        if image in row:
            out.setdefault(question, set()).add(row[image])
    return {q: sorted(rows) for q, rows in out.items()}


def run_split(args) -> None:
    data = load_dataset(args.dataset, args.data_root)
    splits = photo_splits(len(data.images))
    held_out = set(split_questions(data, splits["dev"])) | set(split_questions(data, splits["test"]))
    train = [q for q in split_questions(data, splits["train"]) if q not in held_out]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "train_questions.txt").write_text("\n".join(train) + "\n", encoding="utf-8")
    (out / "splits.json").write_text(json.dumps({k: v.tolist() for k, v in splits.items()}))
    print(f"{len(train):,} train questions (of {len(splits['train'])} photos; {len(held_out):,} dev/test texts "
          f"kept out) -> {out / 'train_questions.txt'}")


def recalls(scores, positives) -> dict:
    return {f"R@{k}": round(percent(h), 2) for k, h in hit_rates(scores, positives, RECALL).items()}


def run_measure(args) -> None:
    from mmretrieval import load_model
    from mmretrieval.evaluation import tasks

    out = Path(args.out)
    domain = load_bank(out / "model")
    if domain is None:
        raise SystemExit(f"no bank in {out / 'model'}: run `mmretrieval bank build` first (see --help)")
    model = load_model(args.model, device="cpu")
    data = load_dataset(args.dataset, args.data_root)
    emb = tasks.embed("question_retrieval", model, data, "retrieval.query", show_progress_bar=False)
    text_row = {t: i for i, t in enumerate(data.question_retrieval().texts)}
    queries = emb.get("query", emb["text"])
    splits = {k: np.asarray(v) for k, v in json.loads((out / "splits.json").read_text()).items()}
    views = {}
    for name in ("dev", "test"):
        asked = split_questions(data, splits[name])
        images = emb["image"][splits[name]]
        cos = queries[[text_row[q] for q in asked]] @ images.T
        views[name] = (cos, images, positives_mask(list(asked.values()), len(images)))

    def score(bank, name):
        cos, images, positives = views[name]
        return recalls(cos if bank is None else ranked_scores(cos, bank.hubness(images), bank.weight, 10), positives)

    def pick(bank):
        grid = [QueryBank(bank.vectors, k, w) for k in KS if k <= len(bank.vectors) for w in WEIGHTS]
        return max(grid, key=lambda b: (score(b, "dev")["R@5"], score(b, "dev")["R@1"]))

    rows = {"no bank": None, "default bank (shipped)": model.bank, "domain bank (as built)": domain}
    rows["default bank, k/weight picked on dev"] = best_default = pick(model.bank)
    rows["domain bank, k/weight picked on dev"] = best_domain = pick(domain)
    result = {"dataset": args.dataset, "model": args.model, "photos": {k: len(v) for k, v in splits.items()},
              "questions": {name: len(views[name][0]) for name in views},
              "bank": {"texts": len(domain.vectors), "source": domain.source, "k": domain.k, "weight": domain.weight},
              "picked": {"default": [best_default.k, best_default.weight], "domain": [best_domain.k, best_domain.weight]},
              "rows": {label: {name: score(bank, name) for name in ("dev", "test")} for label, bank in rows.items()}}
    for label, row in result["rows"].items():
        print(f"| {label} | " + " | ".join(" / ".join(f"{v:.2f}" for v in row[s].values()) for s in ("dev", "test")) + " |")
    path = RESULTS / f"domain_bank_{args.dataset}_{args.model}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"picked on dev: default k={best_default.k} w={best_default.weight}, domain k={best_domain.k} "
          f"w={best_domain.weight}; -> {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("split", "measure"))
    parser.add_argument("--dataset", default="daquar", help="a VQA dataset (daquar, text-rich-vqa)")
    parser.add_argument("--data-root", default=DATA)
    parser.add_argument("--out", required=True, help="folder for the question file, the split and the bank model")
    parser.add_argument("--model", default="e5-small-lite0")
    args = parser.parse_args()
    if args.step == "split":
        run_split(args)
    else:
        run_measure(args)


if __name__ == "__main__":
    main()

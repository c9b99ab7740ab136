"""Write the query bank that ships with the default model: ``mmretrieval/pretrained/banks/<model>.safetensors``.

The bank is what ``mmretrieval train`` writes beside a model it trains (``train.bank.training_bank``: the
first caption of each training image, 6,000 on Flickr8k train, float16), with ``k`` and ``weight`` picked
on Flickr8k dev by ``eval/bank_conditioning.py``. Features come from the cache.

    python eval/ship_default_bank.py [--model e5-small-lite0] [--k 100] [--weight 0.75]
"""

from __future__ import annotations

import argparse
import dataclasses

from mmretrieval import load_model
from mmretrieval.query_bank import K, WEIGHT, packaged_bank_path
from mmretrieval.train.bank import training_bank
from mmretrieval.train.data import load_pairs
from script_args import add_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="e5-small-lite0")
    add_data(parser)
    parser.add_argument("--k", type=int, default=K)
    parser.add_argument("--weight", type=float, default=WEIGHT)
    args = parser.parse_args()
    model = load_model(args.model, device="cpu")
    bank = training_bank(model, load_pairs(args.data, split="train"))
    bank = dataclasses.replace(bank, k=args.k, weight=args.weight, source=f"Flickr8k train: {bank.source}")
    path = packaged_bank_path(args.model)
    path.parent.mkdir(parents=True, exist_ok=True)
    bank.save(path)
    print(f"wrote {path}: {len(bank.vectors):,} x {bank.dim} float16, k={bank.k}, weight={bank.weight}, "
          f"bank {bank.id}, {path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()

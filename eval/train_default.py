"""Reproduce a shipped model: train on Flickr8k train, select on dev, copy the weights into the package.

    python eval/train_default.py e5-small-lite0 [--ship] [extra `mmretrieval train` options]

Runs ``mmretrieval train DATA --split train --model NAME --out runs/default/NAME``
(features come from the cache; see eval/cache_flickr8k.py), prints the training time, and with
``--ship`` writes ``mmretrieval/pretrained/NAME.safetensors``. Test numbers: eval/eval_flickr8k.py.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from mmretrieval.cli.main import main as cli
from script_args import add_data

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    add_data(parser)
    parser.add_argument("--out", default=None, help="run folder (default: runs/default/MODEL)")
    parser.add_argument("--ship", action="store_true", help="copy the best weights into mmretrieval/pretrained/")
    args, extra = parser.parse_known_args()
    out = Path(args.out or ROOT / "runs" / "default" / args.model)
    start = time.perf_counter()
    code = cli(["train", str(args.data), "--split", "train", "--model", args.model, "--out", str(out), *extra])
    print(f"train command took {time.perf_counter() - start:.1f} s (features from the cache when warm)")
    if code == 0 and args.ship:
        target = ROOT / "mmretrieval" / "pretrained" / f"{args.model}.safetensors"
        shutil.copy(out / "best" / "adapter.safetensors", target)
        print(f"shipped {target} ({target.stat().st_size / 1e6:.1f} MB)")
    return code


if __name__ == "__main__":
    sys.exit(main())

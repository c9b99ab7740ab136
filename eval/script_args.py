"""What the eval scripts take alike: the model to measure, where the data sets are and the Flickr8k folder.

``--data`` defaults to ``$MMRETRIEVAL_DATA/flickr8k`` (the data root ``mmretrieval eval`` reads), else to
``../shared/data/flickr8k`` beside the checkout; where neither exists the scripts ask for ``--data``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Optional

from mmretrieval import DEFAULT_MODEL
from mmretrieval.evaluation.datasets import DATA_ROOT_ENV

ROOT = Path(__file__).resolve().parent.parent


def data_root() -> Path:
    """Where the data sets are: ``$MMRETRIEVAL_DATA``, else ``../shared/data`` beside the checkout."""
    root = os.environ.get(DATA_ROOT_ENV)
    return Path(root).expanduser() if root else ROOT.parent / "shared" / "data"


def flickr8k_folder() -> Optional[Path]:
    """The default ``--data``: see the module docstring (None where there is none)."""
    folder = data_root() / "flickr8k"
    return folder if folder.is_dir() else None


def add_data(parser: argparse.ArgumentParser) -> None:
    """``--data``: the Flickr8k folder (captions.txt, split lists, images/, zh_captions.tsv)."""
    found = flickr8k_folder()
    parser.add_argument("--data", type=Path, default=found, required=found is None,
                        help=f"Flickr8k folder (default: ${DATA_ROOT_ENV}/flickr8k, else ../shared/data/flickr8k "
                             "beside the checkout)")


def model_parser(doc: str) -> argparse.ArgumentParser:
    """A parser with ``MODEL`` (default: the default model) and ``--data``; ``doc`` is the script's docstring."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", nargs="?", default=DEFAULT_MODEL)
    add_data(parser)
    return parser

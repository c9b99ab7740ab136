"""Evaluation datasets: one small loader per file format, named datasets described by JSON configs.

A config (``configs/<name>.json`` or any JSON file) names a ``format``, the ``paths`` it reads (relative
to a data root) and loader ``args``; image-folder sets name a ``prompts`` file (class names + templates).
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
from importlib import resources
from pathlib import Path
from typing import Optional, Union

from .subset import limit_images
from .types import ClassificationData, RetrievalData, VQAData

DATA_ROOT_ENV = "MMRETRIEVAL_DATA"
FORMATS = {  # format -> "module:function" in this package
    "flickr8k": "captions:load_flickr8k",
    "coco_captions": "captions:load_coco",
    "karpathy": "captions:load_karpathy",
    "multilingual_tsv": "multilingual_tsv:load",
    "image_folder": "image_folder:load",
    "vqa_csv": "vqa_csv:load",
    "easy_vqa": "easy_vqa:load",
    "text_vqa_jsonl": "text_vqa:load",
}
TASKS = {  # what each kind of data can be evaluated on
    RetrievalData: ("retrieval",),
    ClassificationData: ("zeroshot_classification",),
    VQAData: ("vqa", "question_retrieval", "ocr_retrieval"),
}
Dataset = Union[RetrievalData, ClassificationData, VQAData]

__all__ = ["ClassificationData", "RetrievalData", "VQAData", "list_datasets", "load_dataset", "dataset_config",
           "load_prompts", "tasks_for"]


def _package(*parts: str) -> Path:
    return Path(str(resources.files(__name__).joinpath(*parts)))


def list_datasets() -> list[str]:
    return sorted(p.stem for p in _package("configs").glob("*.json"))


def dataset_config(name_or_file: str) -> dict:
    """The config of a named dataset, or of a JSON config file given by path."""
    path = Path(name_or_file).expanduser()
    if not path.is_file():
        path = _package("configs", f"{name_or_file}.json")
        if not path.is_file():
            raise ValueError(f"unknown dataset {name_or_file!r}: give a config JSON file or one of {list_datasets()}")
    config = json.loads(path.read_text())
    if config.get("format") not in FORMATS:
        raise ValueError(f"{path}: format must be one of {sorted(FORMATS)}, got {config.get('format')!r}")
    return {"name": path.stem, **config}


def load_prompts(name_or_file: str) -> dict:
    """``{"classnames": {folder: name}, "templates": [...]}`` from a packaged prompt set or a JSON file."""
    path = Path(name_or_file).expanduser()
    if not path.is_file():
        path = _package("templates", f"{name_or_file}.json")
    if not path.is_file():
        packaged = sorted(p.stem for p in _package("templates").glob("*.json"))
        raise ValueError(f"unknown prompt set {name_or_file!r}: give a JSON file or one of {packaged}")
    data = json.loads(path.read_text())
    return {"classnames": data.get("classnames"), "templates": data["templates"]}


def load_dataset(name_or_file: str, data_root: Optional[str] = None, limit: Optional[int] = None,
                 **overrides) -> Dataset:
    """Load a named dataset (or a config file); relative paths resolve against ``data_root``.

    ``data_root`` defaults to ``$MMRETRIEVAL_DATA``; ``overrides`` replace loader args (e.g. ``max_per_class``);
    ``limit`` keeps that many images spread evenly over the set (``subset.limit_images``), for a smoke run.
    """
    config = dataset_config(name_or_file)
    args = dict(config.get("args", {}))
    if config.get("prompts"):
        args.update(load_prompts(config["prompts"]))
    if config.get("paths"):
        root = data_root or os.environ.get(DATA_ROOT_ENV)
        if root is None:
            raise ValueError(
                f"dataset {config['name']!r} reads files ({', '.join(config['paths'].values())}); "
                f"pass --data-root (or set {DATA_ROOT_ENV}) to the folder that holds them"
            )
        args.update({key: str(Path(root).expanduser() / rel) for key, rel in config["paths"].items()})
    module, function = FORMATS[config["format"]].split(":")
    loader = getattr(importlib.import_module(f"{__name__}.{module}"), function)
    parameters = set(inspect.signature(loader).parameters)
    unknown = sorted(set(overrides) - parameters)
    if unknown:
        fixed = set(config.get("paths", {})) | ({"templates", "classnames"} if config.get("prompts") else set())
        options = sorted(parameters - fixed)
        raise ValueError(f"dataset {config['name']!r} ({config['format']} format) has no option "
                         f"{', '.join(unknown)}; its options are {', '.join(options) or 'none'}")
    args.update(overrides)
    data = loader(**args)
    return data if limit is None else limit_images(data, limit)


def tasks_for(dataset: Dataset) -> tuple[str, ...]:
    return TASKS[type(dataset)]

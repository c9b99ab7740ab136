"""Run model x dataset x task and write one self-describing JSON per run; a suite file lists many runs."""

from __future__ import annotations

import json
import logging
import os
import platform
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, Sequence

from . import tasks
from .datasets import dataset_config, load_dataset, tasks_for
from .models import ModelSpec

logger = logging.getLogger(__name__)

SWEEP_DIMS = (32, 64, 128, 256)  # Matryoshka sweep; the full dimension is always added


def evaluate(spec: ModelSpec, dataset: str, task: str, data_root: Optional[str] = None,
             dims: Optional[Sequence[int]] = None, out_dir: Optional[str] = None, model=None, data=None,
             dataset_args: Optional[dict] = None, note: Optional[str] = None,
             load_s: Optional[float] = None, data_s: Optional[float] = None, batch_size: int = 64,
             show_progress_bar: Optional[bool] = None) -> dict:
    """Evaluate one model on one dataset and task; return the result and write it under ``out_dir``.

    ``model`` / ``data`` reuse an already loaded model or dataset (a suite loads each once); ``load_s`` /
    ``data_s`` say how long loading them took (``timed``), recorded in ``wall_time_s`` as ``load`` and
    ``data`` (None when passed in without). ``note`` is kept in the result's ``dataset_info`` (say why
    data was subsampled, for instance). ``batch_size``: images / texts per encoder call;
    ``show_progress_bar``: a bar per encoding step (default: for long ones only).
    """
    config = dataset_config(dataset)
    if model is None:
        model, load_s = timed(spec.load)
    if data is None:
        data, data_s = timed(load_dataset, dataset, data_root, **(dataset_args or {}))
    if task not in tasks_for(data):
        raise ValueError(f"dataset {dataset!r} supports tasks {tasks_for(data)}, not {task!r}")
    started = time.perf_counter()
    embeddings = tasks.embed(task, model, data, spec.text_task, batch_size=batch_size,
                             show_progress_bar=show_progress_bar)
    encoded = time.perf_counter()
    full = embeddings["image"].shape[1]
    dims = sorted({d for d in (dims or SWEEP_DIMS) if d < full} | {full})
    by_dim = {str(d): tasks.score(task, embeddings, data, d, model) for d in dims}
    done = time.perf_counter()
    result = {
        "dataset": config["name"],
        "model": spec.title,
        "task": task,
        "language": ",".join(sorted(set(data.languages))) if getattr(data, "languages", None)
        else config.get("language", "unknown"),
        "metrics": by_dim[str(full)],
        "metrics_by_dim": by_dim,
        "embed_dim": full,
        "dims": dims,
        "dataset_info": {"description": config.get("description", ""), **tasks.describe(data),
                         **({"note": note} if note else {})},
        "model_spec": spec.describe(),
        **({"model_identity": model.identity().to_dict()} if hasattr(model, "identity") else {}),  # which vectors
        **_zero_shot_fields(model, spec, config, data),
        # a suite loads each model and dataset once: every run it serves records that one load
        "wall_time_s": {"load": _round(load_s), "data": _round(data_s), "encode": _round(encoded - started),
                        "score": _round(done - encoded),
                        "total": _round(done - started + (load_s or 0) + (data_s or 0))},
        "versions": versions(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if out_dir:
        write_result(result, out_dir)
    return result


def _zero_shot_fields(model, spec, config: dict, data) -> dict:
    """``concept_prior`` (the model's, if any) and ``not_zero_shot`` (why, where the result is not): see ``zero_shot``."""
    from .zero_shot import not_zero_shot, prior_record

    fields = {"concept_prior": prior_record(model), "not_zero_shot": not_zero_shot(model, spec, config, data)}
    return {key: value for key, value in fields.items() if value is not None}


def timed(load, *args, **kwargs):
    """``(load(*args, **kwargs), seconds it took)``: a model or dataset with its load time."""
    started = time.perf_counter()
    value = load(*args, **kwargs)
    return value, time.perf_counter() - started


def _round(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None else round(seconds, 2)


def write_result(result: dict, out_dir) -> Path:
    path = Path(out_dir) / f"{result['model']}__{result['dataset']}__{result['task']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    return path


def run_suite(suite_file, data_root: Optional[str] = None, out_dir: Optional[str] = None,
              models: Optional[Sequence[str]] = None, limit: Optional[int] = None,
              show_progress_bar: Optional[bool] = None, runtime: Optional[str] = None) -> list[dict]:
    """Run every model x (dataset, task) of a suite file; relative paths in it resolve against its folder.

    ``{"data_root": ..., "out": ..., "dims": [...], "models": [ModelSpec fields...],
    "datasets": {"name": {"tasks": [...], "args": {...}, "note": "..."}}}``; ``models`` keeps only those labels;
    ``limit`` cuts every dataset to that many images (a smoke run); ``runtime``: where image trunks run (``load_model``).
    """
    suite_file = Path(suite_file).expanduser()
    suite = json.loads(suite_file.read_text())
    base = suite_file.parent
    data_root = data_root or (str(base / suite["data_root"]) if suite.get("data_root") else None)
    out_dir = out_dir or str(base / suite.get("out", "results"))
    specs = [ModelSpec.from_dict(_resolve(m, base)) for m in suite["models"]]
    unknown = set(models or ()) - {s.title for s in specs}
    if unknown:
        raise ValueError(f"suite {suite_file} has no models {sorted(unknown)}; it has {[s.title for s in specs]}")
    results = []
    for spec in specs:
        if models and spec.title not in models:
            continue
        model, load_s = timed(spec.load, runtime=runtime)
        for dataset, entry in suite["datasets"].items():
            data, data_s = timed(load_dataset, dataset, data_root, limit=limit, **entry.get("args", {}))
            for task in entry["tasks"]:
                logger.warning("evaluating %s on %s / %s", spec.title, dataset, task)
                result = evaluate(spec, dataset, task, dims=suite.get("dims"), out_dir=out_dir, model=model,
                                  data=data, note=entry.get("note"), load_s=load_s, data_s=data_s,
                                  show_progress_bar=show_progress_bar)
                results.append(result)
    return results


def _resolve(model: dict, base: Path) -> dict:
    """Read a suite's relative checkpoint/config paths as relative to the suite file."""
    model = dict(model)
    for key in ("pretrained", "config"):
        value = model.get(key)
        if isinstance(value, str) and ("/" in value or value.endswith((".pt", ".json"))) and not Path(value).is_absolute():
            model[key] = _short_path((base / value).resolve())
    return model


def _short_path(path: Path) -> str:
    """Relative to the working directory when inside it (results then name no machine paths)."""
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else relative


def versions() -> dict:
    from importlib import metadata

    found = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count()}
    for package in ("mmretrieval", "torch", "open_clip_torch", "transformers", "numpy"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return found

"""Many result JSONs -> ``report.md`` (models side by side), ``report.csv`` (every number) and PNG plots."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path
from typing import Optional

logger = logging.getLogger(__name__)

RESULT_KEYS = {"dataset", "model", "task", "language", "metrics", "metrics_by_dim", "embed_dim", "wall_time_s"}
# Columns of the markdown table per task; the CSV holds every metric at every dimension.
HEADLINE = {
    "retrieval": ["text_to_image_R@1", "text_to_image_R@5", "text_to_image_R@10",
                  "image_to_text_R@1", "image_to_text_R@5", "image_to_text_R@10"],
    "zeroshot_classification": ["top1", "top5", "mean_per_class_recall"],
    "vqa": ["acc@1", "acc@5", "prior/acc@1", "prior/acc@5", "image/acc@1", "composed/acc@1", "qa_text/acc@1"],
    "question_retrieval": ["text_to_image_R@1", "text_to_image_R@5", "text_to_image_R@10"],
    "ocr_retrieval": [f"{way}/text_to_image_R@{k}" for way in ("image", "ocr", "fused_rrf", "fused_zscore")
                      for k in (1, 5, 10)],
}
PER_LANGUAGE = ["text_to_image_R@1", "text_to_image_R@5", "image_to_text_R@1"]
# marks of results that are not zero-shot (the run's ``not_zero_shot.reason``; see ``evaluation.zero_shot``)
MARKS = {"concept_prior": ("†", "not zero-shot: the model's concept prior classifies into a label set that overlaps "
                                "this data set's classes (e.g. ImageNet-1k for Imagenette and CIFAR-10)"),
         "web": ("‡", "not known to be zero-shot: a CLIP-style model trained on web data that may overlap these "
                      "classes")}
SWEEP_METRIC = {"retrieval": "text_to_image_R@5", "zeroshot_classification": "top1", "vqa": "acc@1",
                "question_retrieval": "text_to_image_R@5", "ocr_retrieval": "text_to_image_R@5"}


def load_results(results_dir) -> list[dict]:
    """Every runner result JSON in ``results_dir``; other JSON files there are skipped with a warning."""
    results = []
    for path in sorted(Path(results_dir).expanduser().glob("*.json")):
        result = json.loads(path.read_text())
        if isinstance(result, dict) and RESULT_KEYS <= set(result) and isinstance(result["metrics_by_dim"], dict):
            results.append(result)
        else:
            logger.warning("skipping %s: not a `mmretrieval eval` result (needs %s)", path, ", ".join(sorted(RESULT_KEYS)))
    if not results:
        raise FileNotFoundError(f"no result JSONs in {results_dir}; run `mmretrieval eval` with --out first")
    return results


def build_report(results_dir, out_dir: Optional[str] = None) -> list[Path]:
    """Write ``report.md``, ``report.csv`` and ``plots/*.png`` into ``out_dir`` (default: results' parent)."""
    results = load_results(results_dir)
    out = Path(out_dir) if out_dir else Path(results_dir).expanduser().resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    written = [write_csv(results, out / "report.csv")]
    plots = write_plots(results, out / "plots")
    (out / "report.md").write_text(markdown(results, [p.relative_to(out) for p in plots]))
    return [out / "report.md", *written, *plots]


def models_of(results: list[dict]) -> list[str]:
    return sorted({r["model"] for r in results})


def markdown(results: list[dict], plots: list[Path]) -> str:
    models = models_of(results)
    index = {(r["model"], r["dataset"], r["task"]): r for r in results}
    lines = ["# Evaluation report", "", "Numbers are percentages at the full embedding dimension; "
             "every run's JSON is in `results/`, every metric at every Matryoshka dimension in `report.csv`.",
             "", "| dataset | task | metric | " + " | ".join(models) + " |",
             "|---|---|---|" + "---:|" * len(models)]
    used: set[str] = set()
    for dataset, task in sorted({(r["dataset"], r["task"]) for r in results}):
        for metric in _headline(task, [index[k] for k in index if k[1:] == (dataset, task)]):
            cells = [index.get((m, dataset, task), {}).get("metrics", {}).get(metric) for m in models]
            if all(c is None for c in cells):
                continue
            best = max(c for c in cells if c is not None)
            marks = [_mark(index.get((m, dataset, task))) for m in models]
            used.update(m for m in marks if m)
            shown = ["" if c is None else (f"**{c:.1f}**{k}" if c == best else f"{c:.1f}{k}")
                     for c, k in zip(cells, marks)]
            lines.append(f"| {dataset} | {task} | {metric} | " + " | ".join(shown) + " |")
    if used:
        lines += [""] + [f"{mark} {text}" for mark, text in MARKS.values() if mark in used]
    lines += ["", "## Runs", "", "| model | dataset | task | data | dim | encode s | total s |",
              "|---|---|---|---|---:|---:|---:|"]
    for r in sorted(results, key=lambda r: (r["model"], r["dataset"], r["task"])):
        info = ", ".join(f"{k}={v}" for k, v in r["dataset_info"].items() if k != "description")
        lines.append(f"| {r['model']} | {r['dataset']} | {r['task']} | {info} | {r['embed_dim']} | "
                     f"{r['wall_time_s']['encode']} | {r['wall_time_s']['total']} |")
    lines += ["", "## Datasets", ""]
    for dataset in sorted({r["dataset"] for r in results}):
        info = next(r["dataset_info"] for r in results if r["dataset"] == dataset)
        lines.append(f"- **{dataset}**: {info.get('description') or 'no description'}")
    total = sum(r["wall_time_s"]["total"] for r in results)
    lines += ["", f"Sum of run wall times: {total:.0f} s over {len(results)} runs (each counts the model and "
                  "dataset load it used, shared in a suite).", "", "## Models", ""]
    for model in models:
        spec = next(r["model_spec"] for r in results if r["model"] == model)
        prior = next((r["concept_prior"] for r in results if r["model"] == model and r.get("concept_prior")), None)
        uses = f"; concept prior over {prior['label_set']} ({prior['classes']:,} classes)" if prior else ""
        lines.append(f"- **{model}**: `{json.dumps(spec)}`{uses}")
    if plots:
        lines += ["", "## Matryoshka sweeps", ""] + [f"![{p.stem}]({p.as_posix()})" for p in plots]
    versions = results[0].get("versions", {})
    lines += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()), ""]
    return "\n".join(lines)


def _mark(result: Optional[dict]) -> str:
    """The mark of a result that is not zero-shot ('' for one that is, or for no result)."""
    reason = ((result or {}).get("not_zero_shot") or {}).get("reason")
    return MARKS[reason][0] if reason in MARKS else ""


def _headline(task: str, runs: list[dict]) -> list[str]:
    metrics = list(HEADLINE.get(task, []))
    ways = {m.split("/")[0] for m in metrics if "/" in m}  # e.g. ocr_retrieval's image/ocr/fused: not languages
    languages = sorted({k.split("/")[0] for r in runs for k in r["metrics"] if "/" in k and "_R@" in k} - ways)
    metrics += [f"{lang}/{m}" for lang in languages for m in PER_LANGUAGE]
    return metrics or sorted({k for r in runs for k in r["metrics"]})


def write_csv(results: list[dict], path: Path) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["model", "dataset", "task", "language", "dim", "metric", "value"])
        for r in sorted(results, key=lambda r: (r["model"], r["dataset"], r["task"])):
            for dim, metrics in r["metrics_by_dim"].items():
                for metric, value in metrics.items():
                    writer.writerow([r["model"], r["dataset"], r["task"], r["language"], dim, metric, value])
    return path


def write_plots(results: list[dict], folder: Path) -> list[Path]:
    """One PNG per dataset x task: the sweep metric against the embedding dimension, one line per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for dataset, task in sorted({(r["dataset"], r["task"]) for r in results}):
        metric = SWEEP_METRIC.get(task)
        runs = [r for r in results if (r["dataset"], r["task"]) == (dataset, task)]
        fig, ax = plt.subplots(figsize=(5, 3.5))
        for r in sorted(runs, key=lambda r: r["model"]):
            dims = sorted(int(d) for d in r["metrics_by_dim"])
            ax.plot(dims, [r["metrics_by_dim"][str(d)].get(metric) for d in dims], marker="o", label=r["model"])
        ax.set_xscale("log", base=2)
        ticks = sorted({int(d) for r in runs for d in r["metrics_by_dim"]})
        ax.set_xticks(ticks, [str(d) for d in ticks])
        ax.minorticks_off()
        ax.set_xlabel("embedding dimension (Matryoshka truncation)")
        ax.set_ylabel(f"{metric} (%)")
        ax.set_title(f"{dataset} / {task}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        path = folder / f"{dataset}__{task}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written

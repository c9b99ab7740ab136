"""A Hub model card (README.md) for a saved adapter, written from its config and its run's training log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

LOG_FILE = "log.jsonl"  # what ``train`` writes next to ``best/``
CHECKPOINT_FILE = "checkpoint.pt"


def find_run(training_log) -> Optional[Path]:
    """The run folder for ``training_log``: a run folder, its ``log.jsonl``, or a model folder inside a run."""
    if training_log is None:
        return None
    path = Path(training_log).expanduser()
    for folder in (path.parent if path.is_file() else path, path.parent):
        if (folder / LOG_FILE).is_file():
            return folder
    return None


def read_run(run: Optional[Path]) -> tuple[list[dict], dict]:
    """``(epoch records, training recipe)`` of a run folder; empty when there is none."""
    if run is None:
        return [], {}
    records = [json.loads(line) for line in (run / LOG_FILE).read_text().splitlines() if line.strip()]
    recipe = {}
    if (run / CHECKPOINT_FILE).is_file():
        import torch

        recipe = torch.load(run / CHECKPOINT_FILE, map_location="cpu", weights_only=True).get("train_config", {})
    return records, recipe


def model_card(config, repo_id: Optional[str], records: list[dict], recipe: dict):
    """A ``huggingface_hub.ModelCard``: metadata, the frozen towers, how to load it, and what training logged."""
    from huggingface_hub import ModelCard, ModelCardData

    towers = [t for t in (config.text.model, config.trunk.name) if t.count("/") == 1 and not Path(t).exists()]
    data = ModelCardData(library_name="mmretrieval", license="apache-2.0", base_model=towers or None,
                         tags=["mmretrieval", "image-text-retrieval", "feature-extraction"])
    trunk = config.trunk
    trunk_text = f"`{trunk.name}` ({trunk.kind}" + (f", pretrained `{trunk.pretrained}`" if trunk.pretrained else "")
    trunk_text += (f", pooling `{trunk.pooling}`" if trunk.pooling else "") + ")"
    lines = [f"# {config.name}", "", config.description or "An mmretrieval image-text retrieval model.", "",
             "A frozen text tower and a frozen image trunk, joined by a trained vision adapter: text vectors stay "
             "exactly the text model's, images are mapped into its space.", "",
             "| piece | what |", "|---|---|",
             f"| text tower (frozen) | `{config.text.model}` |",
             f"| image trunk (frozen) | {trunk_text} |",
             f"| adapter (trained) | {config.adapter.kind}, input dropout {config.adapter.input_dropout} |",
             f"| joint space | {config.embed_dim}-d" + (f", Matryoshka prefixes {list(config.matryoshka_dims)}"
                                                       if config.matryoshka_dims else "") + " |", "",
             "## Use", "", "```python", "from mmretrieval import load_model", "",
             f'model = load_model("{repo_id or "path/to/this/folder"}")',
             'images = model.encode_image(["photo.jpg"])',
             'query = model.encode_text("a dog on the beach", task="retrieval.query")', "```", ""]
    lines += _training_section(records, recipe)
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines) + "\n")


def _training_section(records: list[dict], recipe: dict) -> list[str]:
    if not records:
        return ["## Training", "", "No training log was given with this model."]
    lines = ["## Training", ""]
    if recipe:
        lines += ["Recipe: " + ", ".join(f"{k}={v}" for k, v in recipe.items()) + ".", ""]
    seconds = sum(r.get("seconds", 0) for r in records)
    lines += [f"{len(records)} epochs logged, {seconds:.0f} s of adapter training (from cached features).", ""]
    with_dev = [r for r in records if r.get("dev")]
    if with_dev:
        best = max(with_dev, key=lambda r: r["dev"].get("rsum", 0))
        names = list(best["dev"])
        lines += [f"Dev retrieval at the best epoch ({best['epoch'] + 1}), in %:", "",
                  "| " + " | ".join(names) + " |", "|" + "---|" * len(names),
                  "| " + " | ".join(f"{best['dev'][n]:.1f}" for n in names) + " |", ""]
    lines += ["| epoch | loss | seconds |", "|---|---|---|"]
    lines += [f"| {r['epoch'] + 1} | {r['loss']:.4f} | {r.get('seconds', 0)} |" for r in records]
    return lines

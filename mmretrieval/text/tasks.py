"""Task names (Jina-embeddings-v3 vocabulary) and what each known text model expects for them."""

from __future__ import annotations

import json
from pathlib import Path

TASKS = ("retrieval.query", "retrieval.passage", "text-matching", "classification", "separation")

# Prefixes that well-known model families were trained with. Matched on the model id.
_FAMILY_PROMPTS = {
    "e5": {
        "retrieval.query": "query: ",
        "retrieval.passage": "passage: ",
        "text-matching": "query: ",
        "classification": "query: ",
        "separation": "query: ",
    },
    "nomic-embed-text": {
        "retrieval.query": "search_query: ",
        "retrieval.passage": "search_document: ",
        "text-matching": "search_query: ",
        "classification": "classification: ",
        "separation": "clustering: ",
    },
}


def check_task(task: str | None) -> None:
    if task is not None and task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")


def task_prefix(prompts: dict, task: str | None) -> str:
    """The prefix a tower puts before texts embedded for ``task`` (none for ``None`` or a task it has none for)."""
    check_task(task)
    return prompts.get(task, "") if task else ""


def resolve_prompts(model_id: str, folder: Path | None, explicit: dict) -> dict:
    """Task -> prefix: explicit config first, then the model folder's own prompts, then its family."""
    if explicit:
        return dict(explicit)
    if folder is not None:
        st_config = folder / "config_sentence_transformers.json"
        if st_config.is_file():
            prompts = json.loads(st_config.read_text()).get("prompts") or {}
            prompts = {task: text for task, text in prompts.items() if task in TASKS and text}
            if prompts:
                return prompts
    name = model_id.lower().rsplit("/", 1)[-1]
    for family, prompts in _FAMILY_PROMPTS.items():
        if name.startswith(family) or f"-{family}-" in name or name.startswith(f"multilingual-{family}"):
            return dict(prompts)
    return {}

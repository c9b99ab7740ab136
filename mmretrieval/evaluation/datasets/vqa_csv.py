"""Visual QA as a CSV ``question,answer,image_id`` (DAQUAR's layout) plus an optional answer-space file."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Optional

from .files import require_file, require_images
from .types import VQAData

COLUMNS = ("question", "answer", "image_id")


def load(csv_file, images_dir, answer_space_file: Optional[str] = None, image_suffix: str = ".jpg",
         answer_separator: str = ",") -> VQAData:
    """Rows become questions; an answer listing several items ("comforter, pillow") counts any of them right.

    Answers are turned into text for the embedding model (``garbage_bin`` -> ``garbage bin``).
    """
    path = require_file(csv_file, "VQA CSV")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not set(COLUMNS) <= set(reader.fieldnames or ()):
            raise ValueError(f"{path}: header must hold {','.join(COLUMNS)}, got {reader.fieldnames}")
        rows = list(reader)
    if not rows:
        raise ValueError(f"{path} holds no questions")
    split = [[a.strip() for a in r["answer"].split(answer_separator) if a.strip()] for r in rows]
    if answer_space_file:
        space = [a.strip() for a in require_file(answer_space_file, "answer space").read_text().splitlines()]
        space = list(dict.fromkeys(a for a in space if a))
    else:
        space = sorted({a for answers in split for a in answers})
    answer_index = {a: i for i, a in enumerate(space)}
    unknown = sorted({a for answers in split for a in answers} - set(answer_index))
    if unknown:
        raise ValueError(f"{path}: {len(unknown)} answers are not in the answer space, e.g. {unknown[:5]}")
    image_index: dict[str, int] = {}
    for row in rows:
        image_index.setdefault(row["image_id"], len(image_index))
    images_dir = Path(images_dir).expanduser()
    images = require_images([str(images_dir / f"{i}{image_suffix}") for i in image_index], images_dir)
    return VQAData(
        images=images,
        questions=[r["question"].strip() for r in rows],
        question_images=[image_index[r["image_id"]] for r in rows],
        answers=[[answer_index[a] for a in answers] for answers in split],
        answer_space=[a.replace("_", " ") for a in space],
    )

"""Visual QA over text-rich images (screenshots, documents, signs) as JSON lines, DocVQA-style.

One object per line: ``{"question": ..., "answers": [...], "image": "images/x.jpg"[, "type": "sign"]}``;
``image`` is relative to the file's folder. Any other keys (``text``, ``font``: how the image was made)
are kept out of the data. Every answer listed counts right; answers are free text.
"""

from __future__ import annotations

import json
from collections import Counter

from .files import require_file, require_images
from .types import VQAData

REQUIRED = ("question", "answers", "image")


def load(jsonl_file, max_questions: int = None) -> VQAData:
    path = require_file(jsonl_file, "text VQA JSON lines")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}:{number}: not a JSON object ({err})") from None
        missing = [k for k in REQUIRED if not row.get(k)] if isinstance(row, dict) else list(REQUIRED)
        if missing or not isinstance(row["answers"], list):
            raise ValueError(f"{path}:{number}: needs {', '.join(REQUIRED)} (answers: a list of strings); "
                             f"missing or empty: {', '.join(missing) or 'answers is not a list'}")
        rows.append(row)
    rows = rows[:max_questions] if max_questions else rows
    if not rows:
        raise ValueError(f"{path} holds no questions")
    image_index: dict[str, int] = {}
    for row in rows:
        image_index.setdefault(row["image"], len(image_index))
    space = sorted({a.strip() for row in rows for a in row["answers"] if a.strip()})
    answer_index = {a: i for i, a in enumerate(space)}
    images = require_images([str(path.parent / image) for image in image_index], path.parent)
    return VQAData(
        images=images,
        questions=[row["question"].strip() for row in rows],
        question_images=[image_index[row["image"]] for row in rows],
        answers=[[answer_index[a.strip()] for a in row["answers"] if a.strip()] for row in rows],
        answer_space=space,
        info={"types": dict(sorted(Counter(row.get("type", "unknown") for row in rows).items()))},
    )

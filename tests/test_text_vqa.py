"""The text-rich VQA format (JSON lines, DocVQA-style), its errors, the OCR metric and the set's builder."""

import json

import numpy as np
import pytest
from PIL import Image

from mmretrieval.evaluation.datasets import tasks_for, text_vqa
from mmretrieval.evaluation.metrics import ocr_retrieval


def _write(folder, rows):
    (folder / "images").mkdir(parents=True, exist_ok=True)
    for row in rows:
        if isinstance(row, dict) and row.get("image"):
            Image.new("RGB", (8, 8)).save(folder / row["image"])
    (folder / "q.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return folder / "q.jsonl"


def test_loads_questions_answers_and_types(tmp_path):
    path = _write(tmp_path, [
        {"question": "Which sign says stop?", "answers": ["Stop."], "image": "images/a.jpg", "type": "sign", "text": "Stop."},
        {"question": "Which page says go?", "answers": ["Go.", "Go now."], "image": "images/b.jpg", "type": "document"},
        {"question": "What does sign a say?", "answers": ["Stop."], "image": "images/a.jpg", "type": "sign"},
    ])
    data = text_vqa.load(path)
    assert [p.rsplit("/", 1)[1] for p in data.images] == ["a.jpg", "b.jpg"]
    assert data.question_images == [0, 1, 0] and data.answer_space == ["Go now.", "Go.", "Stop."]
    assert data.answers == [[2], [1, 0], [2]] and data.info == {"types": {"document": 1, "sign": 2}}
    assert "ocr_retrieval" in tasks_for(data)
    assert text_vqa.load(path, max_questions=1).questions == ["Which sign says stop?"]


def test_bad_lines_and_missing_images_are_named(tmp_path):
    path = _write(tmp_path, [{"question": "q?", "image": "images/a.jpg"}])
    with pytest.raises(ValueError, match=r"q.jsonl:1: needs question, answers, image .*answers"):
        text_vqa.load(path)
    path.write_text('{"question": "q?", "answers": ["a"], "image": "images/missing.jpg"}\nnot json\n')
    with pytest.raises(ValueError, match="q.jsonl:2: not a JSON object"):
        text_vqa.load(path)
    path.write_text('{"question": "q?", "answers": ["a"], "image": "images/missing.jpg"}\n')
    with pytest.raises(FileNotFoundError, match="1 of 1 images are missing"):
        text_vqa.load(path)


def test_ocr_metric_fuses_and_ignores_images_without_text():
    eye = np.eye(3, dtype=np.float32)
    questions = eye
    images = eye[[1, 2, 0]]  # the image vectors point every question at the wrong image
    has_text = np.array([True, True, False])  # image 2 has no text: its OCR row is never ranked
    ocr = np.stack([eye[0], eye[1], eye[2]])
    metrics = ocr_retrieval.evaluate(images, questions, ocr, has_text, [[0], [1], [2]], floor=0.5)
    assert metrics["image/text_to_image_R@1"] == 0.0
    assert metrics["ocr/text_to_image_R@1"] == pytest.approx(200 / 3, abs=0.01)
    assert metrics["fused_zscore/text_to_image_R@1"] == metrics["text_to_image_R@1"]
    assert metrics["images_with_text"] == pytest.approx(200 / 3, abs=0.01)


def test_builder_renders_real_text_reproducibly(tmp_path):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("build", Path(__file__).parent.parent / "eval" / "build_text_rich_vqa.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    rows = build.build(tmp_path / "a", per_kind=2)
    assert [r["type"] for r in rows] == ["sign"] * 2 + ["slide"] * 2 + ["document"] * 2
    from pydoc_data.topics import topics

    manual = " ".join(" ".join(t.split()) for t in topics.values())
    assert all(" ".join(line.split()) in manual for r in rows for line in r["text"].split("\n"))
    assert build.build(tmp_path / "b", per_kind=2) == rows  # same seed, same set
    assert len(text_vqa.load(tmp_path / "a" / "questions.jsonl").images) == 6

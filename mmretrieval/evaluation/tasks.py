"""Each task in two steps: ``embed`` (model + data -> arrays, the slow part, done once) and ``score``
(arrays -> metrics, cheap, repeated for every Matryoshka dimension)."""

from __future__ import annotations

import functools
from typing import Optional

import numpy as np

from .datasets import ClassificationData, RetrievalData, VQAData
from . import features
from .features import truncate
from ..search.query import image_ranking_vectors
from .metrics import ocr_retrieval, retrieval, vqa, zeroshot_classification

QA_TEXT_LIMIT = 20_000  # most "question + answer" texts to embed for the qa_text VQA method


def embed(task: str, model, data, text_task: str, batch_size: int = 64,
          show_progress_bar: Optional[bool] = None) -> dict[str, np.ndarray]:
    options = {"batch_size": batch_size, "show_progress_bar": show_progress_bar}
    encode_images = functools.partial(features.encode_images, **options)
    encode_texts = functools.partial(features.encode_texts, **options)
    if task == "ocr_retrieval":  # the text read in each image, embedded as a passage (as index --ocr does)
        from .ocr_texts import ocr_texts

        read = ocr_texts(data.images, show_progress_bar=show_progress_bar)
        found = [text if text else " " for text in read]
        questions = data.question_retrieval().texts
        return {"image": encode_images(model, data.images), **text_queries(model, questions, text_task, encode_texts),
                "ocr": encode_texts(model, found, "retrieval.passage"),
                "has_text": np.asarray([bool(text) for text in read])}
    if task == "question_retrieval":
        data = data.question_retrieval()
    if task in ("retrieval", "question_retrieval"):
        return {"image": encode_images(model, data.images), **text_queries(model, data.texts, text_task, encode_texts)}
    if task == "zeroshot_classification":
        prompts = [template.format(name) for name in data.classnames for template in data.templates]
        return {"image": encode_images(model, data.images), "prompt": encode_texts(model, prompts, text_task)}
    if task == "vqa":
        questions, rows = np.unique(np.asarray(data.questions, dtype=object), return_inverse=True)
        out = {
            "image": encode_images(model, data.images),
            "question": encode_texts(model, list(questions), text_task)[rows],
            "answer": encode_texts(model, data.answer_space, text_task),
            "qa_rows": rows,
        }
        if len(questions) * len(data.answer_space) <= QA_TEXT_LIMIT:
            texts = [f"{q} {a}" for q in questions for a in data.answer_space]
            out["qa"] = encode_texts(model, texts, text_task).reshape(len(questions), len(data.answer_space), -1)
        return out
    raise ValueError(f"unknown task {task!r}")


def text_queries(model, texts: list[str], text_task: str, encode_texts) -> dict[str, np.ndarray]:
    """``text``: the texts' vectors; ``query`` too where the model has query maps: the vectors that rank images
    for them (``model.image_queries``), as search ranks images."""
    out = {"text": encode_texts(model, texts, text_task)}
    if getattr(model, "query_maps", None) is not None:
        out["query"] = image_ranking_vectors(model, texts, out["text"])
    return out


def score(task: str, emb: dict[str, np.ndarray], data, dim: int, model=None) -> dict:
    """Metrics with every embedding cut to its ``dim``-d Matryoshka prefix (``model``'s own, if it has one)."""
    cut = {key: value if key in ("qa_rows", "has_text") else truncate(value, dim, model) for key, value in emb.items()}
    bank = _full_dim_bank(model, emb, dim)  # text->image ranked as search ranks photos (search.conditioning)
    if task == "retrieval":
        return retrieval.evaluate(cut["image"], cut["text"], data.text_images, languages=data.languages,
                                  query_emb=cut.get("query"), bank=bank)
    if task == "question_retrieval":
        return retrieval.evaluate(cut["image"], cut["text"], data.question_retrieval().text_images,
                                  directions=("text_to_image",), query_emb=cut.get("query"), bank=bank)
    if task == "ocr_retrieval":  # scored by the search users run (mmretrieval.search), the model's policy
        questions = data.question_retrieval()
        return ocr_retrieval.evaluate(cut["image"], cut["text"], cut["ocr"], emb["has_text"], questions.text_images,
                                      config=getattr(model, "config", None), questions=questions.texts,
                                      query_emb=cut.get("query"), bank=bank)
    if task == "zeroshot_classification":
        classes = zeroshot_classification.class_embeddings(cut["prompt"], len(data.classnames))
        return zeroshot_classification.evaluate(cut["image"], classes, data.labels)
    if task == "vqa":
        metrics = {}
        for method in vqa.METHODS:
            if method == "qa_text" and "qa" not in cut:
                continue
            scores = vqa.answer_scores(method, cut["image"], data.question_images, cut["answer"], cut["question"],
                                       cut.get("qa"), cut["qa_rows"], data.answers)
            found = vqa.evaluate(scores, data.answers)
            if method == vqa.METHODS[0]:
                metrics.update(found)
            metrics.update({f"{method}/{key}": value for key, value in found.items()})
        return metrics
    raise ValueError(f"unknown task {task!r}")


def _full_dim_bank(model, emb: dict, dim: int):
    """The model's query bank when scoring at full dim (search conditions full-dim cosines), else None."""
    bank = getattr(model, "bank", None)
    return bank if bank is not None and "image" in emb and dim == emb["image"].shape[-1] else None


def describe(data) -> dict:
    """Sizes that say what was evaluated (and any subsampling)."""
    sizes = {"images": len(data.images)}
    if isinstance(data, RetrievalData):
        sizes["texts"] = len(data.texts)
    elif isinstance(data, ClassificationData):
        sizes.update(classes=len(data.classnames), templates=len(data.templates))
    elif isinstance(data, VQAData):
        sizes.update(questions=len(data.questions), distinct_questions=len(set(data.questions)),
                     answers=len(data.answer_space))
    return {**sizes, **data.info}

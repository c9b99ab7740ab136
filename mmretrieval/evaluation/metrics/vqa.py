"""Visual-QA as retrieval: rank the whole answer space for (image, question) with the joint embedding.

Methods (each a way to score every answer; all reported so the parts are visible):
- ``qa_text``: the image against the text "<question> <answer>" (one text per question x answer, so only
  for small answer spaces, e.g. easy-VQA's 13).
- ``image``: the image against the answer text alone (what is in the picture; ignores the question).
- ``question``: the question against the answer text, text tower only (the answer type and prior; the
  text-only floor, it never sees the image).
- ``composed``: ``z(image) + z(question)``, each score row standardised over the answer space. Cost is
  linear (images + questions + answers are embedded once), so it scales to DAQUAR's 2,021 x 582. The
  two experts are multiplied in log space; standardising puts image-text and text-text cosines, whose
  scales differ, on one footing without a tuned weight.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from .ranking import hit_rates, percent, positives_mask

KS = (1, 5)
METHODS = ("composed", "image", "question", "qa_text")


def answer_scores(method: str, image_emb: np.ndarray, question_images: Sequence[int],
                  answer_emb: Optional[np.ndarray] = None, question_emb: Optional[np.ndarray] = None,
                  qa_emb: Optional[np.ndarray] = None, qa_rows: Optional[Sequence[int]] = None) -> np.ndarray:
    """``(n_questions, n_answers)`` scores. ``qa_emb[r, a]`` embeds "question r + answer a"; ``qa_rows[i]``
    is question i's row there (so repeated questions are embedded once)."""
    images = np.asarray(image_emb, dtype=np.float32)[np.asarray(question_images)]
    if method == "image":
        return images @ np.asarray(answer_emb, dtype=np.float32).T
    if method == "question":
        return np.asarray(question_emb, dtype=np.float32) @ np.asarray(answer_emb, dtype=np.float32).T
    if method == "composed":
        return _standardise(answer_scores("image", image_emb, question_images, answer_emb)) + _standardise(
            answer_scores("question", image_emb, question_images, answer_emb, question_emb))
    if method == "qa_text":
        qa_rows = np.asarray(qa_rows)
        scores = np.empty((len(images), qa_emb.shape[1]), dtype=np.float32)
        for row in np.unique(qa_rows):
            scores[qa_rows == row] = images[qa_rows == row] @ np.asarray(qa_emb[row], dtype=np.float32).T
        return scores
    raise ValueError(f"unknown VQA method {method!r}; choose one of {METHODS}")


def evaluate(scores: np.ndarray, answers: list[list[int]], ks: Sequence[int] = KS) -> dict:
    """``acc@k``: % of questions with a right answer (any of several, if listed) among the top k."""
    hits = hit_rates(scores, positives_mask(answers, scores.shape[1]), ks)
    return {f"acc@{k}": percent(h) for k, h in hits.items()}


def _standardise(scores: np.ndarray) -> np.ndarray:
    centred = scores - scores.mean(axis=1, keepdims=True)
    return centred / np.maximum(centred.std(axis=1, keepdims=True), 1e-6)

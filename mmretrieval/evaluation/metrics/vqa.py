"""Visual-QA as retrieval: rank the whole answer space for (image, question) with the joint embedding.

Methods (each a way to score every answer; all reported so the parts are visible):
- ``qa_text``: the image against the text "<question> <answer>" (one text per question x answer, so only
  for small answer spaces, e.g. easy-VQA's 13).
- ``image``: the image against the answer text alone (what is in the picture; ignores the question).
- ``question``: the question against the answer text, text tower only (never sees the image).
- ``composed``: ``z(image) + z(question)``, each score row standardised over the answer space, so
  image-text and text-text cosines, whose scales differ, count alike without a tuned weight.
- ``prior``: the answers given to the ``k`` most similar questions (text tower) asked about *other*
  images: a question-only floor, leave-one-image-out, that never sees the image or its own answer.
- ``prior_image``: ``log(prior) + z(image)``: the prior picks the answer type (a colour, a count,
  yes/no), the image picks among that type: p(a | q, I) ~ p(a | q) p(I | a).
All cost linear text encoding (images, distinct questions and answers embedded once), except
``qa_text``, so they run on DAQUAR's 2,021 questions x 582 answers.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from .ranking import hit_rates, percent, positives_mask

KS = (1, 5)
METHODS = ("prior_image", "composed", "image", "question", "qa_text", "prior")  # the first is the headline
PRIOR_K = 32  # neighbouring questions behind the prior
PRIOR_FLOOR = 1e-3  # added to prior probabilities before the log


def answer_scores(method: str, image_emb: np.ndarray, question_images: Sequence[int],
                  answer_emb: Optional[np.ndarray] = None, question_emb: Optional[np.ndarray] = None,
                  qa_emb: Optional[np.ndarray] = None, qa_rows: Optional[Sequence[int]] = None,
                  answers: Optional[list[list[int]]] = None) -> np.ndarray:
    """``(n_questions, n_answers)`` scores. ``qa_emb[r, a]`` embeds "question r + answer a"; ``qa_rows[i]``
    is question i's row there (so repeated questions are embedded once); ``answers`` (the right answers
    of every question) feed only the leave-one-image-out ``prior``."""
    images = np.asarray(image_emb, dtype=np.float32)[np.asarray(question_images)]
    if method == "image":
        return images @ np.asarray(answer_emb, dtype=np.float32).T
    if method == "question":
        return np.asarray(question_emb, dtype=np.float32) @ np.asarray(answer_emb, dtype=np.float32).T
    if method == "composed":
        return _standardise(answer_scores("image", image_emb, question_images, answer_emb)) + _standardise(
            answer_scores("question", image_emb, question_images, answer_emb, question_emb))
    if method == "prior":
        return question_prior(question_emb, question_images, answers, len(answer_emb))
    if method == "prior_image":
        prior = question_prior(question_emb, question_images, answers, len(answer_emb))
        return np.log(prior + PRIOR_FLOOR) + _standardise(answer_scores("image", image_emb, question_images,
                                                                       answer_emb))
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


def question_prior(question_emb: np.ndarray, question_images: Sequence[int], answers: list[list[int]],
                   n_answers: int, k: int = PRIOR_K, chunk: int = 1024) -> np.ndarray:
    """Answer distribution of each question's ``k`` nearest questions about other images (rows sum to 1)."""
    question_emb = np.asarray(question_emb, dtype=np.float32)
    images = np.asarray(question_images)
    targets = positives_mask(answers, n_answers).astype(np.float32)
    targets /= targets.sum(axis=1, keepdims=True)  # a multi-answer row spreads one vote
    prior = np.zeros((len(question_emb), n_answers), dtype=np.float32)
    for start in range(0, len(question_emb), chunk):
        rows = slice(start, start + chunk)
        sims = question_emb[rows] @ question_emb.T
        sims[images[rows, None] == images[None, :]] = -np.inf  # never the question's own image
        k_here = min(k, int(np.isfinite(sims).sum(axis=1).min()))
        if k_here == 0:
            raise ValueError("the question prior needs questions about at least two images")
        nearest = np.argpartition(-sims, k_here - 1, axis=1)[:, :k_here]
        prior[rows] = targets[nearest].mean(axis=1)
    return prior


def _standardise(scores: np.ndarray) -> np.ndarray:
    centred = scores - scores.mean(axis=1, keepdims=True)
    return centred / np.maximum(centred.std(axis=1, keepdims=True), 1e-6)

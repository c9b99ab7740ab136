"""What a loaded evaluation dataset is: plain lists of paths, texts and indices, nothing model-specific."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class RetrievalData:
    """Images and captions; ``text_images[i]`` lists the image indices caption ``i`` describes."""

    images: list[str]
    texts: list[str]
    text_images: list[list[int]]
    languages: Optional[list[str]] = None  # one per text, for multilingual sets
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        if len(self.texts) != len(self.text_images):
            raise ValueError(f"{len(self.texts)} texts but {len(self.text_images)} text->image links")
        if self.languages is not None and len(self.languages) != len(self.texts):
            raise ValueError(f"{len(self.texts)} texts but {len(self.languages)} language tags")
        _check_indices(self.text_images, len(self.images), "text_images")


@dataclass
class ClassificationData:
    """Images with one class index each, class names and prompt templates (``"a photo of a {}."``)."""

    images: list[str]
    labels: list[int]
    classnames: list[str]
    templates: list[str]
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        if len(self.images) != len(self.labels):
            raise ValueError(f"{len(self.images)} images but {len(self.labels)} labels")
        _check_indices([[label] for label in self.labels], len(self.classnames), "labels")
        bad = [t for t in self.templates if "{}" not in t]
        if not self.templates or bad:
            raise ValueError(f"every prompt template needs a '{{}}' for the class name; bad: {bad or 'none given'}")


@dataclass
class VQAData:
    """Questions about images; ``answers[i]`` lists the indices into ``answer_space`` counted right."""

    images: list[str]
    questions: list[str]
    question_images: list[int]
    answers: list[list[int]]
    answer_space: list[str]
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        n = len(self.questions)
        if not (len(self.question_images) == len(self.answers) == n):
            raise ValueError(
                f"{n} questions, {len(self.question_images)} image links and {len(self.answers)} answers: "
                "need one of each per question"
            )
        _check_indices([[i] for i in self.question_images], len(self.images), "question_images")
        _check_indices(self.answers, len(self.answer_space), "answers")

    def question_retrieval(self) -> RetrievalData:
        """Question -> image retrieval: each distinct question's positives are the images it was asked of."""
        images_of: dict[str, set[int]] = {}
        for question, image in zip(self.questions, self.question_images):
            images_of.setdefault(question, set()).add(image)
        texts = list(images_of)
        return RetrievalData(self.images, texts, [sorted(images_of[t]) for t in texts], info=dict(self.info))


def _check_indices(rows: list[list[int]], size: int, what: str) -> None:
    for i, row in enumerate(rows):
        if not row:
            raise ValueError(f"{what}[{i}] is empty: every item needs at least one positive")
        if min(row) < 0 or max(row) >= size:
            raise ValueError(f"{what}[{i}] = {row} is out of range 0..{size - 1}")

"""easy-VQA (PyPI package ``easy-vqa``): synthetic shapes, 13 answers; the data ships in the package."""

from __future__ import annotations

from .types import VQAData


def load(split: str = "test", max_questions: int = None) -> VQAData:
    try:
        import easy_vqa
    except ImportError:
        raise ImportError("easy-VQA needs the easy-vqa package: pip install 'mmretrieval[eval]'") from None
    if split not in ("train", "test"):
        raise ValueError(f"easy-VQA splits are 'train' and 'test', got {split!r}")
    questions, answers, image_ids = getattr(easy_vqa, f"get_{split}_questions")()
    paths = getattr(easy_vqa, f"get_{split}_image_paths")()
    if max_questions:
        questions, answers, image_ids = questions[:max_questions], answers[:max_questions], image_ids[:max_questions]
    space = list(easy_vqa.get_answers())
    image_index: dict[int, int] = {}
    for image_id in image_ids:
        image_index.setdefault(image_id, len(image_index))
    return VQAData(
        images=[paths[i] for i in image_index],
        questions=list(questions),
        question_images=[image_index[i] for i in image_ids],
        answers=[[space.index(a)] for a in answers],
        answer_space=space,
        info={"split": split},
    )

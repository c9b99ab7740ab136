"""The context bundle RAG hands to a generator: fused items as JSON plus a ready prompt."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import asdict, dataclass, field
from typing import Optional

SYSTEM_PROMPT = (
    "You answer questions using only the numbered sources provided: images and text passages. "
    "Cite sources by their number in brackets, like [2]. If the sources do not contain the answer, say so."
)


@dataclass(frozen=True)
class ContextItem:
    """One retrieved source. Images have ``path`` (and maybe ``caption``); passages have ``text``."""

    kind: str  # "image" | "text"
    id: str
    score: float  # fused score (see ContextBundle.fusion)
    cosine: float  # raw similarity to the question in its own modality
    path: Optional[str] = None
    text: Optional[str] = None
    caption: Optional[str] = None
    start: Optional[int] = None  # passage character offsets in ``path``
    end: Optional[int] = None
    explanation: list = field(default_factory=list)


@dataclass(frozen=True)
class ContextBundle:
    """Question, fused sources best first, how they were fused, and the prompt built from them."""

    question: str
    items: list
    fusion: str
    prompt: str

    @property
    def images(self) -> list[ContextItem]:
        return [item for item in self.items if item.kind == "image"]

    def to_dict(self) -> dict:
        return {"question": self.question, "fusion": self.fusion, "prompt": self.prompt,
                "items": [asdict(item) for item in self.items]}

    def to_json(self, indent: Optional[int] = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_messages(self, max_image_side: int = 768) -> list[dict]:
        """OpenAI-style chat messages: the prompt text, then each image source as a JPEG data URL."""
        content = [{"type": "text", "text": self.prompt}]
        for item in self.images:
            content.append({"type": "image_url", "image_url": {"url": image_data_url(item.path, max_image_side)}})
        return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": content}]


def build_prompt(question: str, items: list[ContextItem]) -> str:
    """Numbered sources, images in the order they are attached, then the question."""
    lines = ["Sources:"]
    for number, item in enumerate(items, start=1):
        if item.kind == "image":
            described = f" Caption: {item.caption}" if item.caption else ""
            lines.append(f"[{number}] Image {item.path} (attached image #{_image_number(items, item)}).{described}")
        else:
            where = f"{item.path}, characters {item.start}-{item.end}" if item.path else "passage"
            lines.append(f"[{number}] Passage from {where}:\n{item.text.strip()}")
    if len(items) == 0:
        lines.append("(no sources were found)")
    lines.append("")
    lines.append(f"Question: {question}")
    lines.append("Answer using the sources above and cite them by number.")
    return "\n".join(lines)


def image_data_url(path: str, max_image_side: int = 768) -> str:
    """The image at ``path``, upright RGB, shrunk to fit ``max_image_side``, as a JPEG data URL."""
    from ..images import load_image

    image = load_image(path)
    image.thumbnail((max_image_side, max_image_side))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _image_number(items: list[ContextItem], target: ContextItem) -> int:
    images = [item for item in items if item.kind == "image"]
    return images.index(target) + 1

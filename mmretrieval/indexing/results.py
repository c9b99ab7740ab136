"""What index and search calls return."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..payload import KIND, KIND_IMAGE, PATH


@dataclass
class Hit:
    """One search result: point id, cosine score, ``kind`` ("image" or "text") and its payload."""

    id: str
    score: float
    kind: str
    payload: dict[str, Any]

    @property
    def path(self) -> Optional[str]:
        return self.payload.get(PATH)

    @classmethod
    def from_point(cls, point) -> "Hit":
        payload = dict(point.payload or {})
        return cls(id=str(point.id), score=float(getattr(point, "score", None) or 0.0),
                   kind=payload.get(KIND, KIND_IMAGE), payload=payload)


@dataclass
class IndexReport:
    """Counts of what an ``add_images`` run did, and the files it skipped with the reason for each."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"removed {self.removed}, skipped {len(self.skipped)}"
        ]
        lines += [f"  skipped {path}: {reason}" for path, reason in self.skipped]
        return "\n".join(lines)

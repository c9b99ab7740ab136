"""What an index run returns: counts of what it did and the files it skipped, with reasons."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class IndexReport:
    """Counts of what a run did with one kind of file (images, or text documents), and the files it skipped
    with the reason for each."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    ocr_text: int = 0  # images OCR read text in
    ocr_no_text: list[str] = field(default_factory=list)  # images OCR found no text in
    ocr_failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason): indexed without OCR
    notes: list[str] = field(default_factory=list)  # what the run could not do, and why (e.g. no OCR engine)

    def count_ocr(self, path: str, result) -> None:
        """Count one image's OCR result (None: not read with OCR)."""
        if result is None:
            return
        if result.error is not None:
            self.ocr_failed.append((path, result.error))
        elif result.lines:
            self.ocr_text += 1
        else:
            self.ocr_no_text.append(path)

    def summary(self) -> str:
        lines = [
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"removed {self.removed}, skipped {len(self.skipped)}"
        ]
        lines += [f"  skipped {path}: {reason}" for path, reason in self.skipped]
        if self.ocr_text or self.ocr_no_text or self.ocr_failed:
            lines.append(f"OCR: text read in {self.ocr_text} images, no text found in {len(self.ocr_no_text)}, "
                         f"failed on {len(self.ocr_failed)} (indexed by their pixels only; the next --ocr run retries)")
            lines += [f"  OCR failed on {path}: {reason}" for path, reason in self.ocr_failed]
        return "\n".join(lines + self.notes)

    def to_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged, "removed": self.removed,
                "skipped": [{"path": p, "reason": r} for p, r in self.skipped], "ocr_text": self.ocr_text,
                "ocr_no_text": self.ocr_no_text, "ocr_failed": [{"path": p, "reason": r} for p, r in self.ocr_failed],
                "notes": self.notes}


@dataclass
class IngestReport:
    """What an ``Index.add`` run did: one :class:`IndexReport` per kind it indexed (None: not indexed this
    run), and the files its folder scan passed over (neither images, nor text documents, nor caption sidecars)."""

    images: Optional[IndexReport] = None
    documents: Optional[IndexReport] = None
    passed_over: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Files were skipped and none was indexed (or found current)."""
        reports = [r for r in (self.images, self.documents) if r is not None]
        return any(r.skipped for r in reports) and not sum(r.added + r.updated + r.unchanged for r in reports)

    def summary(self) -> str:
        lines = [] if self.images is None else [self.images.summary()]
        return "\n".join(lines + ([] if self.documents is None else ["documents: " + self.documents.summary()]))

    def to_dict(self) -> dict:
        return {"images": self.images and self.images.to_dict(), "documents": self.documents and self.documents.to_dict(),
                "passed_over": self.passed_over}

"""What an index run returns: counts of what it did and the files it skipped, with reasons."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class IndexReport:
    """Counts of what an ``add_images`` run did, and the files it skipped with the reason for each."""

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

"""One ingestion run: walk the inputs once, load the captions, reconcile the images, then the documents.

    files on disk --files.walk--> images, documents, sidecars, passed over
                  --captions.load_captions--> captions (sidecars, a JSON/CSV file or a dict)
                  --reconcile(ImageSource), reconcile(TextSource)--> a collection in line with the files

``Index.add``, ``add_images`` and ``add_texts`` (and ``mmretrieval index``) are calls of :func:`ingest`.
"""

from __future__ import annotations

from typing import Sequence

from ..images import MAX_IMAGE_PIXELS
from .captions import CaptionSource, load_captions
from .files import IMAGE, TEXT, walk
from .image_source import ImageSource, ocr_reader
from .passages import TEXT_SUFFIXES
from .prepare import MAX_FILE_BYTES
from .reconcile import reconcile
from .results import IndexReport, IngestReport
from .target import Target
from .texts import MAX_DOCUMENT_BYTES, TextSource

KINDS = (IMAGE, TEXT)


def ingest(
    target: Target,
    paths_or_globs,
    kinds: Sequence[str] = KINDS,
    captions: CaptionSource = None,
    sidecars: bool = True,
    ocr: bool = False,
    passage_tokens: int | None = None,
    passage_overlap: int | None = None,
    batch_size: int = 32,
    num_workers: int = 2,
    show_progress_bar: bool = True,
    max_pixels: int = MAX_IMAGE_PIXELS,
    max_bytes: int = MAX_FILE_BYTES,
    max_document_bytes: int = MAX_DOCUMENT_BYTES,
) -> IngestReport:
    """Bring ``target``'s collection in line with the files of ``kinds`` under ``paths_or_globs``.

    With both kinds, a kind is reconciled when the inputs may hold it (a folder both; a file, or a glob,
    by its suffix; anything the walk found); with one kind, always. See ``Index.add`` for the options."""
    if not kinds or set(kinds) - set(KINDS):
        raise ValueError(f"kinds must be among {KINDS}, got {tuple(kinds)}")
    files = walk(paths_or_globs)
    _refuse_named_files_of_other_kinds(files.named, kinds)
    image_captions = load_captions(captions, files.sidecars if sidecars else None) if IMAGE in kinds else None
    report = IngestReport(passed_over=files.passed_over)
    run = [kind for kind in KINDS if kind in kinds and (len(kinds) == 1 or kind in files.kinds)]
    if not run:
        return report
    info = target.info()  # loads the model only to create the collection (or to check a model given)
    options = dict(remember_bad=not target.attached, batch_size=batch_size, num_workers=num_workers,
                   show_progress_bar=show_progress_bar)
    if IMAGE in run:
        report.images = IndexReport()
        read = ocr_reader(target, report.images) if ocr else None
        source = ImageSource(target, info.small_dim, image_captions, read, max_pixels, max_bytes)
        reconcile(target.store, source, files.images, files.scope, report.images, **options)
    if TEXT in run:
        report.documents = IndexReport()
        source = TextSource(target, info.small_dim, passage_tokens, passage_overlap, batch_size, max_document_bytes)
        reconcile(target.store, source, files.documents, files.scope, report.documents, **options)
    return report


def _refuse_named_files_of_other_kinds(named: dict, kinds: Sequence[str]) -> None:
    if TEXT not in kinds and named[TEXT]:
        raise ValueError(f"{named[TEXT][0]} is a text document; index it with add_texts (or add, which takes both)")
    if IMAGE not in kinds and named[IMAGE]:
        raise ValueError(f"{named[IMAGE][0]}: not a text document (supported: {', '.join(sorted(TEXT_SUFFIXES))})")

"""``mmretrieval index PATH...``: the arguments of ``Index.add`` (``indexing.pipeline``), and its report printed."""

from __future__ import annotations

import json
import os
from collections import Counter

from .store_args import add_store_arguments, open_index

SHOWN_PASSED_OVER = 10  # files passed over named one by one in the text report


def register(subparsers) -> None:
    parser = subparsers.add_parser("index", help="index images and text documents into Qdrant, incrementally")
    parser.add_argument("paths", nargs="+",
                        help="image files, text documents (.txt, .md), folders (recursive) or quoted glob patterns")
    parser.add_argument("--captions", default=None, metavar="FILE.json|FILE.csv",
                        help="a JSON object {image path: caption} or a CSV with path,caption columns; relative paths "
                             "are read from the file's folder. Sidecars (cat.jpg + cat.txt) are read too")
    parser.add_argument("--passage-tokens", type=int, default=None,
                        help="text documents: passage size in tokens of the text model (default: 200)")
    parser.add_argument("--passage-overlap", type=int, default=None,
                        help="text documents: tokens shared by neighbouring passages (default: 40)")
    parser.add_argument("--ocr", action="store_true",
                        help="read the text in each image (OCR, pip install \"mmretrieval[ocr]\") and make it searchable; "
                             "images indexed before without it are read now")
    parser.add_argument("--batch-size", type=int, default=32, help="images (or text passages) per encoder batch (default: 32)")
    parser.add_argument("--workers", type=int, default=2, help="threads that read and decode images and split documents (default: 2)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    parser.add_argument("--json", action="store_true",
                        help="print the report as one JSON object instead: counts per kind (images, documents), every "
                             "file skipped with its reason, and every file passed over (the text report names the "
                             f"first {SHOWN_PASSED_OVER})")
    add_store_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    with open_index(args) as index:
        report = index.add(args.paths, captions=args.captions, ocr=args.ocr, passage_tokens=args.passage_tokens,
                           passage_overlap=args.passage_overlap, batch_size=args.batch_size, num_workers=args.workers,
                           show_progress_bar=not args.no_progress)
        points, collection, location = index.count(), index.store.collection, index.store.location
    if args.json:
        print(json.dumps({**report.to_dict(), "points": points, "collection": collection, "store": str(location)}))
    else:
        if report.summary():
            print(report.summary())
        print(f"{points} points in collection {collection!r} at {location}")
        _report_passed_over(report.passed_over)
    return 1 if report.failed else 0


def _report_passed_over(paths) -> None:
    """Name the files a scan left out: neither an image Pillow opens, nor a text document (.txt/.md/.markdown),
    nor an image's caption sidecar."""
    shown = SHOWN_PASSED_OVER
    if not paths:
        return
    kinds = Counter(os.path.splitext(p)[1].lower() or "(no extension)" for p in paths)
    print(f"passed over {len(paths)} files that are neither images nor text documents "
          f"({', '.join(f'{k} x{n}' for k, n in kinds.most_common())}):")
    for path in paths[:shown]:
        print(f"  {path}")
    if len(paths) > shown:
        print(f"  ... and {len(paths) - shown} more (--json lists them all)")

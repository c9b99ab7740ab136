"""``mmretrieval index PATH...``: add new and changed images to the collection, drop deleted ones."""

from __future__ import annotations

import json
import os
from collections import Counter


from .store_args import add_store_arguments, open_index


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
    parser.add_argument("--batch-size", type=int, default=32, help="images per encoder batch (default: 32)")
    parser.add_argument("--workers", type=int, default=2, help="threads that read and decode images (default: 2)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_store_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..indexing.captions import read_caption_csv, sidecar_captions
    from ..indexing.files import collect
    from ..indexing.texts import split_inputs

    images, texts = split_inputs(args.paths)
    scope = collect(images)
    captions = sidecar_captions(scope.files) if images else {}
    if args.captions:
        captions.update(read_caption_csv(args.captions) if args.captions.lower().endswith(".csv")
                        else load_captions(args.captions))
    reports = []
    with open_index(args) as index:
        if images:
            reports.append(index.add_images(images, captions=captions or None, batch_size=args.batch_size,
                                            show_progress=not args.no_progress, num_workers=args.workers,
                                            ocr=args.ocr))
            print(reports[-1].summary())
        if texts:  # text documents become passages (mmretrieval/indexing/texts.py)
            reports.append(index.add_texts(texts, size=args.passage_tokens, overlap=args.passage_overlap,
                                           batch_size=args.batch_size, show_progress=not args.no_progress))
            print("documents: " + reports[-1].summary())
        print(f"{index.count()} points in collection {index.store.collection!r} at {index.store.location}")
    _report_passed_over(scope.passed_over)
    done = sum(r.added + r.updated + r.unchanged for r in reports)
    return 1 if any(r.skipped for r in reports) and not done else 0


def load_captions(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON ({err}); expected {{\"image path\": \"caption\", ...}}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{path} must hold one JSON object mapping image paths to caption strings")
    folder = os.path.dirname(os.path.abspath(path))
    return {os.path.join(folder, os.path.expanduser(k)): v for k, v in data.items()}


def _report_passed_over(paths, shown: int = 10) -> None:
    """Name the files a folder scan left out: neither an image Pillow opens nor a text document
    (.txt/.md/.markdown, which are indexed or read as caption sidecars), nor a .caption sidecar."""
    from ..rag.passages import TEXT_SUFFIXES

    left = sorted(p for p in paths if os.path.splitext(p)[1].lower() not in (*TEXT_SUFFIXES, ".caption"))
    if not left:
        return
    kinds = Counter(os.path.splitext(p)[1].lower() or "(no extension)" for p in left)
    print(f"passed over {len(left)} files that are neither images nor text documents "
          f"({', '.join(f'{k} x{n}' for k, n in kinds.most_common())}):")
    for path in left[:shown]:
        print(f"  {path}")
    if len(left) > shown:
        print(f"  ... and {len(left) - shown} more")

"""``mmretrieval duplicates``: groups of near-duplicate photos in the collection (resized, re-encoded, mirrored copies)."""

from __future__ import annotations

import json

from .store_args import add_store_arguments, open_index


def register(subparsers) -> None:
    parser = subparsers.add_parser("duplicates", help="list groups of near-duplicate photos in the collection")
    parser.add_argument("--threshold", type=float, default=None, metavar="COSINE",
                        help="least image-vector cosine of two copies (default: the model's calibrated threshold)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per group")
    add_store_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    with open_index(args, must_exist=True) as index:
        groups = index.duplicates(threshold=args.threshold)
    if args.json:
        for number, group in enumerate(groups, 1):
            print(json.dumps(group.to_dict(number), ensure_ascii=False))
        return 0
    for number, group in enumerate(groups, 1):
        print(f"group {number}: {len(group.items)} photos, weakest link cosine {group.similarity:.4f}")
        for hit in group.items:
            p = hit.payload
            print(f"  {hit.score:.4f}  {p.get('path')}  ({p.get('width')}x{p.get('height')}, {p.get('size')} bytes)")
    copies = sum(len(g.items) - 1 for g in groups)
    print(f"{len(groups)} groups, {copies} photos beyond the first of each" if groups else "no near-duplicates found")
    return 0

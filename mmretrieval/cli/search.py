"""``mmretrieval search "query"`` / ``--image PATH``: nearest images (or texts) in the collection."""

from __future__ import annotations

import json
import re

from ..search.ocr_words import matched_lines
from ..store.photo_filters import DATE_FORMAT, NEAR_FORMAT, photo_filter
from ..search.query import check_query
from ..search.fusion import FUSION_METHODS
from ..search.hits import hit_json
from ..search.score import DEFAULT_LIMIT, FUSION
from .format import hit_line, snippet
from .store_args import add_store_arguments, open_index

_FILTER = re.compile(r"^([\w.\[\]-]+?)\s*(>=|<=|>|<|=)\s*(.*)$")
_RANGE = {">=": "gte", "<=": "lte", ">": "gt", "<": "lt"}


def register(subparsers) -> None:
    parser = subparsers.add_parser("search", help="search the collection by text or by image")
    parser.add_argument("queries", nargs="*", metavar="QUERY",
                        help="text queries, e.g. \"a dog on the beach\" (each is searched in turn)")
    parser.add_argument("--image", default=None, metavar="PATH", help="find images similar to this one")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help=f"number of hits (default: {DEFAULT_LIMIT})")
    parser.add_argument("--filter", action="append", default=[], metavar="FIELD=VALUE",
                        help="payload filter, repeatable (all must hold): width>=800, path=/a/b.jpg, caption=...")
    add_photo_filter_arguments(parser)
    parser.add_argument("--kinds", default="image", help="vectors to search: image, text or image,text (default: image; "
                        "several rankings are fused, see --fusion)")
    parser.add_argument("--fusion", choices=FUSION_METHODS, default=FUSION,
                        help=f"how several rankings merge (image,text; photos with OCR text): zscore or rrf (default: {FUSION})")
    parser.add_argument("--dim", type=int, default=None,
                        help="coarse-to-fine: prefetch on this Matryoshka dim (the collection's small dim, e.g. 64), rerank on full")
    add_min_score_argument(parser)
    add_condition_argument(parser)
    parser.add_argument("--json", action="store_true", help="print hits as JSON lines")
    add_store_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    if bool(args.queries) == (args.image is not None):
        raise ValueError("give text queries or --image PATH (one of them)")
    args.queries = [check_query(q) for q in args.queries]  # empty or over-long: refused, as by the API
    with open_index(args, must_exist=True) as index:
        search = dict(limit=args.limit, filter=filters_of(args), dim=args.dim, min_score=args.min_score, fusion=args.fusion,
                      condition=args.condition,
                      kinds=tuple(k.strip() for k in args.kinds.split(",")))
        given = args.min_score is not None
        cut = args.min_score > 0 if given else bool(index.model.config.min_score)  # (for "no hits" to say why)
        if args.image is not None:
            _print_hits(index.search(image=args.image, **search), args.json, label=None, cut=given and cut)
        for query in args.queries:
            _print_hits(index.search(text=query, **search), args.json, label=query if len(args.queries) > 1 else None,
                        query=query, cut=cut)
    return 0


def _print_hits(hits, as_json: bool, label, query=None, cut: bool = False) -> None:
    if label is not None and not as_json:
        print(f"{label}:")
    for rank, hit in enumerate(hits, 1):
        matches = matched_lines(query, hit.payload) if query else []
        if as_json:
            print(json.dumps({**hit_json(hit, rank, query), **({"query": label} if label is not None else {})}))
        else:
            print(f"{rank:3d}. {hit.score:.4f}  {hit_line(hit.kind, hit.payload)}")
            if matches:
                print(f"       text in image: {snippet(' / '.join(m['text'] for m in matches))}")
    if not hits and not as_json:
        print("no hits" + (" above the relevance cut-off (--min-score 0 lists the nearest anyway)" if cut else ""))


def add_condition_argument(parser) -> None:
    parser.add_argument("--no-condition", dest="condition", action="store_false",
                        help="rank photos by plain cosine, not against the model's query bank (docs/conditioning.md)")


def add_min_score_argument(parser) -> None:
    parser.add_argument("--min-score", type=float, default=None, metavar="COSINE",
                        help="least cosine a hit keeps, so a query with nothing relevant finds nothing (default: the "
                        "model's calibrated cut-off, on photos found by text; a value given applies to every hit; "
                        "0: no cut-off)")


def add_photo_filter_arguments(parser) -> None:
    group = parser.add_argument_group("photo filters (from EXIF; photos without the field do not match)")
    group.add_argument("--after", default=None, metavar="DATE", help=f"taken on or after DATE ({DATE_FORMAT})")
    group.add_argument("--before", default=None, metavar="DATE", help="taken before DATE (same format)")
    group.add_argument("--camera", default=None, metavar="TEXT",
                       help="camera make/model has these words (any case), e.g. \"EOS 5D\"")
    group.add_argument("--near", default=None, metavar="LAT,LON,KM", help=f"taken within KM of a place ({NEAR_FORMAT}; "
                       "a negative latitude needs the = form: --near=-33.86,151.21,10)")


def filters_of(args) -> dict | None:
    """The filter dict of ``--filter`` and the photo filters (``--after``, ``--before``, ``--camera``, ``--near``)."""
    return photo_filter(args.after, args.before, args.camera, args.near, base=parse_filters(args.filter))


def parse_filters(items) -> dict | None:
    """``["width>=800", "kind=image"]`` -> ``{"width": {"gte": 800}, "kind": "image"}`` (values as JSON if they parse)."""
    spec: dict = {}
    for item in items:
        match = _FILTER.match(item)
        if not match:
            raise ValueError(f"bad --filter {item!r}; write FIELD=VALUE or FIELD>=NUMBER (also >, <, <=)")
        key, op, raw = match.groups()
        value = _parse_value(raw)
        if op == "=":
            spec[key] = value
        elif isinstance(value, (int, float)):
            if not isinstance(spec.get(key), dict):
                spec[key] = {}
            spec[key][_RANGE[op]] = value
        else:
            raise ValueError(f"bad --filter {item!r}: {op} needs a number")
    return spec or None


def _parse_value(raw: str):
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw

"""``mmretrieval rag "question"``: retrieve images and passages together, print the context bundle or an answer."""

from __future__ import annotations

import sys

from .format import hit_line
from .search import add_condition_argument, add_min_score_argument, add_photo_filter_arguments
from .store_args import add_store_arguments, open_index


def add_generator_arguments(parser) -> None:
    group = parser.add_argument_group("generator (optional; any OpenAI-compatible /v1/chat/completions)")
    group.add_argument("--llm-url", default=None, help="API base, e.g. http://127.0.0.1:8080/v1 (default: $MMRETRIEVAL_LLM_URL)")
    group.add_argument("--llm-model", default=None, help="model name to request (default: $MMRETRIEVAL_LLM_MODEL)")
    group.add_argument("--llm-api-key", default=None, help="bearer token (default: $MMRETRIEVAL_LLM_API_KEY)")
    group.add_argument("--llm-timeout", type=float, default=120.0, help="seconds to wait for an answer (default: 120)")


def generator_config(args):
    from ..rag.generate import GeneratorConfig

    return GeneratorConfig.from_env(args.llm_url, args.llm_model, args.llm_api_key, timeout=args.llm_timeout)


def register(subparsers) -> None:
    from ..search.fusion import FUSION_METHODS
    from ..search.score import FUSION

    parser = subparsers.add_parser("rag", help="retrieve images + passages for a question; optionally answer it")
    parser.add_argument("question", help="the question, e.g. \"what launches from the pad?\"")
    parser.add_argument("--limit", type=int, default=8, help="sources in the bundle (default: 8)")
    parser.add_argument("--max-images", type=int, default=4, help="at most this many of them images (default: 4)")
    parser.add_argument("--fusion", choices=FUSION_METHODS, default=FUSION,
                        help=f"how the rankings merge: zscore (per-ranking standardised cosines) or rrf (reciprocal "
                             f"rank fusion); default: {FUSION}")
    parser.add_argument("--json", action="store_true", help="print the context bundle as JSON (and the answer, if any)")
    parser.add_argument("--prompt", action="store_true", help="print only the ready prompt")
    add_min_score_argument(parser)
    add_condition_argument(parser)
    add_photo_filter_arguments(parser)  # (they pick the images; passages are all kept)
    add_generator_arguments(parser)
    add_store_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    import json

    from ..store.photo_filters import images_only, photo_filter
    from ..rag import generate, retrieve

    config = generator_config(args)
    photos = images_only(photo_filter(args.after, args.before, args.camera, args.near))
    with open_index(args, must_exist=True) as index:
        bundle = retrieve(index, args.question, limit=args.limit, max_images=args.max_images, fusion=args.fusion,
                          filter=photos, min_score=args.min_score, condition=args.condition)
    answer = generate(bundle, config) if config is not None and not args.prompt else None
    if args.prompt:
        print(bundle.prompt)
    elif args.json:
        print(json.dumps({**bundle.to_dict(), "answer": answer}, indent=2, ensure_ascii=False))
    else:
        if answer is not None:
            print(answer.strip(), end="\n\n")
        print(f"Sources ({bundle.fusion}):")
        for rank, item in enumerate(bundle.items, 1):
            what = hit_line(item.kind, {"path": item.path, "caption": item.caption, "text": item.text,
                                        "start": item.start, "end": item.end})
            print(f"[{rank}] {item.kind:5s} {item.score:.4f} (cos {item.cosine:.3f})  {what}")
        if config is None:
            print("\n(no generator configured: pass --llm-url/--llm-model or set MMRETRIEVAL_LLM_URL; "
                  "--json or --prompt print the context for your own model)", file=sys.stderr)
    return 0


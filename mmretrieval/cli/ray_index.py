"""``mmretrieval ray-index``: embed images on a Ray cluster into Qdrant and/or Parquet (same points as ``index``)."""

from __future__ import annotations


def register(subparsers) -> None:
    from .store_args import add_store_arguments

    parser = subparsers.add_parser(
        "ray-index", help="embed a large photo collection with Ray Data (pip install 'mmretrieval[ray]')",
        description="Embed images on a Ray cluster (model actors, one GPU each where the cluster has GPUs) and "
        "write the same points `mmretrieval index` writes (ids from path + content hash: re-runs are idempotent) "
        "to Qdrant and/or Parquet. It does not prune deleted files; `mmretrieval index` afterwards reconciles "
        "and skips everything written here. Paths must be readable by every worker.")
    parser.add_argument("inputs", nargs="+", help="image files, folders (recursive) or quoted globs")
    parser.add_argument("--parquet", default=None, metavar="FOLDER",
                        help="also write the rows to FOLDER/part-0.parquet; alone (no --url/--store), Parquet only")
    parser.add_argument("--address", default=None, help="Ray cluster address (default: $RAY_ADDRESS, else local)")
    parser.add_argument("--actors", type=int, default=None,
                        help="model replicas (default: one per GPU, else one per 2 CPUs)")
    parser.add_argument("--gpus-per-actor", type=float, default=None, help="default: 1 when the cluster has GPUs")
    parser.add_argument("--batch-size", type=int, default=32, help="images per model call (default: %(default)s)")
    add_store_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..distributed.ray_index import ray_index
    from ..registry import DEFAULT_MODEL

    import importlib.util
    import sys

    if importlib.util.find_spec("ray") is None:
        print("mmretrieval ray-index: error: needs Ray Data: pip install 'mmretrieval[ray]'", file=sys.stderr)
        return 2
    report = ray_index(args.inputs, model=args.model or DEFAULT_MODEL, url=args.url, api_key=args.api_key,
                       store=args.store, collection=args.collection, parquet=args.parquet, batch_size=args.batch_size,
                       actors=args.actors, gpus_per_actor=args.gpus_per_actor, address=args.address,
                       engine=args.engine, runtime=getattr(args, "runtime", None))
    for path, reason in report.skipped:
        print(f"skipped {path}: {reason}")
    print(f"wrote {report.written} points" + (f", parquet {report.parquet}" if report.parquet else ""))
    return 0

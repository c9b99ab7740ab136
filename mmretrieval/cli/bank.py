"""``mmretrieval bank``: give a model a query bank from your own texts, or store a collection's hubness under it."""

from __future__ import annotations

from pathlib import Path

from ..query_bank import K, MAX_TEXTS, WEIGHT
from .store_args import add_store_arguments, open_index


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bank", help="condition image search on a bank of typical queries (your own texts, or the model's)",
        description="Photo search discounts 'hub' photos that sit near most queries: each photo's hubness is "
        "measured against a bank of typical queries that travels with the model (see docs/conditioning.md). "
        "`bank build` writes a model folder whose bank holds your texts (queries or captions of your domain, "
        "one per line); `bank backfill` stores each photo's hubness under a model's bank in a collection "
        "indexed before, from the stored vectors (no image is read). Image and text vectors never change.",
    )
    actions = parser.add_subparsers(dest="action", required=True)
    build = actions.add_parser("build", help="write a model folder with a query bank from a text file")
    build.add_argument("model", help="a built-in model name or a saved model folder")
    build.add_argument("texts", help="a UTF-8 text file, one query or caption per line")
    build.add_argument("--out", required=True, help="folder for the new model (its weights plus query_bank.safetensors)")
    build.add_argument("--k", type=int, default=K, help=f"bank neighbours averaged per photo (default: {K})")
    build.add_argument("--weight", type=float, default=WEIGHT, help=f"how much hubness is subtracted (default: {WEIGHT})")
    build.add_argument("--max-texts", type=int, default=MAX_TEXTS, help=f"most texts kept (default: {MAX_TEXTS:,})")
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    build.set_defaults(func=run_build)
    backfill = actions.add_parser("backfill", help="store each photo's hubness under the model's bank (payload only)")
    backfill.add_argument("--force", action="store_true", help="recompute every photo, not only those without it")
    add_store_arguments(backfill)
    backfill.set_defaults(func=run_backfill)


def run_build(args) -> int:
    from ..query_bank import build_bank
    from ..registry import load_model

    path = Path(args.texts).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"text file {args.texts} does not exist; give a file with one query or caption per line")
    texts = path.read_text(encoding="utf-8").splitlines()
    model = load_model(args.model, device="cpu")
    model.bank = build_bank(model, texts, k=args.k, weight=args.weight, max_texts=args.max_texts,
                            source=path.name, show_progress_bar=not args.no_progress)
    out = model.save(args.out)
    size = (out / "query_bank.safetensors").stat().st_size
    print(f"wrote {out}: {model.config.name} with a bank of {len(model.bank.vectors):,} queries from {path.name} "
          f"(bank {model.bank.id}, {size / 1e6:.1f} MB). Use it with --model {out}; collections made by "
          f"{model.config.name} take it as they are (`mmretrieval bank backfill --model {out}` stores their hubness)")
    return 0


def run_backfill(args) -> int:
    from ..indexing.hubness import backfill

    with open_index(args, must_exist=True) as index:
        bank = index.model.bank
        if bank is None:
            raise ValueError(f"model {index.model.config.name!r} carries no query bank; give one with --model "
                             "(a folder made by `mmretrieval bank build`, or a model that ships one)")
        updated = backfill(index.store, bank, force=args.force)
    print(f"stored the hubness of {updated:,} photos under bank {bank.id} ({bank.source or 'shipped'}); no image was read")
    return 0

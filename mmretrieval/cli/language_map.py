"""``mmretrieval language-map``: fit per-language query maps on parallel captions and save them with a model."""

from __future__ import annotations

from ..language_map_recipe import QueryMapRecipe

FIT = QueryMapRecipe()

MAPPED = "; queries in "  # how the description names the mapped languages


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "language-map", help="make image search answer queries in other languages more like English ones",
        description="Fit one linear map per language on parallel captions (the same images described in "
        "several languages) so that a query in that language ranks images as its English translation "
        "would, and write a model folder that carries the maps. Only image rankings of text queries "
        "change: text vectors stay exactly the text model's and image vectors are untouched, so existing "
        "collections keep working without re-encoding. See mmretrieval/language_map.py.",
    )
    parser.add_argument("model", help="a built-in model name or a saved model folder")
    parser.add_argument("captions", help="TSV with a header image<TAB>lang<TAB>caption (e.g. Multi30k's "
                        "translations); rows with the same image are translations of each other")
    parser.add_argument("--out", required=True, help="folder for the new model (config.json + adapter.safetensors)")
    parser.add_argument("--reference", default="en", help="the language the model was trained on (default: en)")
    parser.add_argument("--ridge", type=float, default=FIT.ridge,
                        help=f"pull of each map toward the identity (default: {FIT.ridge:g})")
    parser.add_argument("--steps", type=int, default=FIT.steps, help=f"optimiser steps per map (default: {FIT.steps})")
    parser.add_argument("--temperature", type=float, default=FIT.temperature,
                        help=f"softmax temperature of the fit (default: {FIT.temperature:g})")
    parser.add_argument("--lr", type=float, default=FIT.lr, help=f"Adam learning rate (default: {FIT.lr:g})")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args) -> int:
    import dataclasses

    from ..evaluation.datasets.multilingual_tsv import read_rows
    from ..language_map import fit_query_maps
    from ..registry import load_model
    from ..train.features import CAPTION_TASK

    rows = read_rows(args.captions)
    model = load_model(args.model, device="cpu", runtime=getattr(args, "runtime", None))
    text = model.encode_text([r["caption"].strip() for r in rows], task=CAPTION_TASK, convert_to_tensor=True,
                             show_progress_bar=not args.no_progress)
    maps = fit_query_maps(text, [r["lang"] for r in rows], [r["image"] for r in rows], reference=args.reference,
                          ridge=args.ridge, steps=args.steps, temperature=args.temperature, lr=args.lr)
    known = model.query_maps.maps if model.query_maps is not None else {}
    model.set_query_maps({**known, **maps})
    # The name stays MODEL's: its image vectors are, so its collections accept the new folder.
    described = model.config.description.split(MAPPED)[0]
    languages = "/".join(model.query_maps.languages)
    model.config = dataclasses.replace(model.config, description=f"{described}{MAPPED}{languages} mapped for image search")
    out = model.save(args.out)
    print(f"wrote {out} ({model.config.name}: query maps for {', '.join(maps)} fitted on {len(rows)} captions); "
          f"load it with load_model({str(out)!r}) or --model {out}: no re-indexing needed")
    return 0

"""``mmretrieval language-map``: fold a map fitted on parallel captions into a model's image side."""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "language-map", help="make image search answer queries in other languages more like English ones",
        description="Fit a linear map on parallel captions (the same images described in several languages) so "
        "that queries in those languages rank images as their English translation would, and write a model "
        "folder with it folded into the image side. Text vectors stay exactly the text model's, so an index "
        "needs its images re-encoded with the new model, its texts not. See mmretrieval/language_map.py.",
    )
    parser.add_argument("model", help="a built-in model name or a saved model folder")
    parser.add_argument("captions", help="TSV with a header image<TAB>lang<TAB>caption (e.g. Multi30k's "
                        "translations); rows with the same image are translations of each other")
    parser.add_argument("--out", required=True, help="folder for the new model (config.json + adapter.safetensors)")
    parser.add_argument("--name", default=None, help="name of the new model (default: MODEL-multilingual)")
    parser.add_argument("--reference", default="en", help="the language the model was trained on (default: en)")
    parser.add_argument("--reference-weight", type=float, default=3.0,
                        help="how much keeping reference-language queries' ranking counts (default: 3)")
    parser.add_argument("--ridge", type=float, default=3.0, help="pull of the map toward the identity (default: 3)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..evaluation.datasets.multilingual_tsv import read_rows
    from ..language_map import fit_language_map, with_language_map
    from ..model import save_model_files
    from ..registry import load_model
    from ..train.features import CAPTION_TASK

    rows = read_rows(args.captions)
    model = load_model(args.model, device="cpu")
    text = model.encode_text([r["caption"].strip() for r in rows], task=CAPTION_TASK, convert_to_tensor=True,
                             show_progress_bar=not args.no_progress)
    languages = [r["lang"] for r in rows]
    matrix = fit_language_map(text, languages, [r["image"] for r in rows], reference=args.reference,
                              reference_weight=args.reference_weight, ridge=args.ridge)
    config, state = with_language_map(model.config, model.trainable_state_dict(), matrix, languages,
                                      name=args.name)
    out = save_model_files(args.out, config, state)
    print(f"wrote {out} ({config.name}: map fitted on {len(rows)} captions in {', '.join(sorted(set(languages)))}); "
          f"load it with load_model({str(out)!r}) and re-index your images with it")
    return 0

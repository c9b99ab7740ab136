"""``mmretrieval language-map``: fit per-language query maps on captions and save them with a model."""

from __future__ import annotations

from ..languages.recipe import QueryMapRecipe

FIT = QueryMapRecipe()


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "language-map", help="make image search answer queries in other languages more like English ones",
        description="Fit one linear map per language on captions (photos described in that language: parallel "
        "translations of English captions or captions written in their own words) so that a query in that "
        "language ranks images better, print each language's dev numbers, and write a model folder that "
        "carries the maps. Only image rankings of text queries change: text vectors stay exactly the text "
        "model's and image vectors are untouched, so existing collections keep working without re-encoding. "
        "See docs/languages.md.",
    )
    parser.add_argument("model", help="a built-in model name or a saved model folder")
    parser.add_argument("captions", nargs="+", help="TSV(s) with a header image<TAB>lang<TAB>caption (e.g. Multi30k's "
                        "translations, Flickr8k-CN's Chinese captions); rows with the same image describe one photo")
    parser.add_argument("--out", required=True, help="folder for the new model (config.json + adapter.safetensors)")
    parser.add_argument("--reference", default="en", help="the language the model was trained on (default: en)")
    parser.add_argument("--reference-captions", default=None,
                        help="more captions in the reference language, in any layout `mmretrieval train` reads "
                        "(e.g. a Flickr8k folder); matched to the TSV rows by image file name")
    parser.add_argument("--images", default=None, help="folder the captions' image names are in: needed for "
                        "--target images and for the dev numbers")
    parser.add_argument("--target", choices=("english", "images"), default=FIT.target,
                        help="what a caption's map should find: its image's reference-language captions (their "
                        "mean) or the image's own vector (needs --images) (default: %(default)s)")
    dev = parser.add_mutually_exclusive_group()
    dev.add_argument("--dev-images", default=None, help="file with one image name per line (e.g. Flickr8k's "
                     "split_dev.txt): their captions are held out of the fit and measured")
    dev.add_argument("--dev-fraction", type=float, default=None,
                     help="hold out this share of the images (seeded) for the dev numbers instead")
    parser.add_argument("--ridge", type=float, default=FIT.ridge,
                        help=f"pull of each map toward the identity (default: {FIT.ridge:g})")
    parser.add_argument("--steps", type=int, default=FIT.steps, help=f"optimiser steps per map (default: {FIT.steps})")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="captions per step (default: all; give e.g. 2048 for tens of thousands)")
    parser.add_argument("--temperature", type=float, default=FIT.temperature,
                        help=f"softmax temperature of the fit (default: {FIT.temperature:g})")
    parser.add_argument("--lr", type=float, default=FIT.lr, help=f"Adam learning rate (default: {FIT.lr:g})")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..languages.fit_captions import fit_from_captions, image_vectors, save_with_maps
    from ..registry import load_model

    rows = _rows(args)
    dev = _dev_images(args, rows)
    model = load_model(args.model, device="cpu", runtime=getattr(args, "runtime", None))
    show = not args.no_progress
    images = image_vectors(model, [r["image"] for r in rows], args.images, show) if args.images else None
    fit = fit_from_captions(model, rows, target=args.target, images=images, dev=dev, reference=args.reference,
                            show_progress_bar=show, ridge=args.ridge, steps=args.steps, temperature=args.temperature,
                            lr=args.lr, batch_size=args.batch_size)
    _print_dev(fit, args.reference)
    out = save_with_maps(model, fit.maps, args.out)
    print(f"wrote {out} ({model.config.name}: query maps for {', '.join(fit.maps)} fitted on {fit.fitted_on} captions); "
          f"load it with load_model({str(out)!r}) or --model {out}: no re-indexing needed")
    return 0


def _rows(args) -> list[dict]:
    from pathlib import Path

    from ..evaluation.datasets.multilingual_tsv import read_rows

    rows = [row for path in args.captions for row in read_rows(path)]
    if args.reference_captions:
        from ..train.data import load_pairs

        pairs = load_pairs(args.reference_captions)
        named = {Path(row["image"]).name for row in rows}
        rows += [{"image": Path(pairs.images[i]).name, "lang": args.reference, "caption": caption}
                 for caption, i in zip(pairs.captions, pairs.image_index) if Path(pairs.images[i]).name in named]
    return rows


def _dev_images(args, rows) -> set[str]:
    import random
    from pathlib import Path

    if args.dev_images:
        return {line.strip() for line in Path(args.dev_images).read_text().splitlines() if line.strip()}
    if not args.dev_fraction:
        return set()
    if not 0 < args.dev_fraction < 1:
        raise ValueError(f"--dev-fraction must be between 0 and 1, got {args.dev_fraction}")
    names = sorted({r["image"] for r in rows})
    random.Random(0).shuffle(names)
    return set(names[: max(1, round(len(names) * args.dev_fraction))])


def _print_dev(fit, reference: str) -> None:
    if not fit.dev:
        print("no dev numbers: give --images and --dev-images or --dev-fraction to measure the maps on held-out photos")
        return
    print(f"dev text->image R@5 over {fit.dev_images} held-out images (each language's captions of them):")
    english = fit.dev.get(reference, {}).get("plain")
    for lang, r5 in fit.dev.items():
        share = f"  ({r5['plain'] / english:.0%} -> {r5['mapped'] / english:.0%} of {reference})" \
            if english and lang != reference else ""
        print(f"  {lang}: {r5['plain']:.1f} without a map -> {r5['mapped']:.1f} with{share}")

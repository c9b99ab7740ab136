"""``mmretrieval convert``: write a trained centred model's raw-space version (text vectors = the text model's)."""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "convert", help="map a centred model's images into the text model's own space",
        description="Write a saved model folder whose text vectors are exactly the text model's and whose image "
        "vectors are placed in that raw space (config space=raw), mapped from a trained centred model without "
        "retraining. Use it to add images to a collection another tool built with the plain text model.",
    )
    parser.add_argument("model", help="trained centred model: a built-in name or a saved model folder")
    parser.add_argument("--out", required=True, help="folder for the raw-space model (config.json + adapter.safetensors)")
    parser.add_argument("--name", default=None, help="name of the new model (default: MODEL-raw)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..model import save_model_files
    from ..raw_space import carry_prior, raw_space_weights
    from ..registry import trained_weights

    config, state = raw_space_weights(*trained_weights(args.model), name=args.name)
    out = save_model_files(args.out, config, state)
    if config.concept_prior is not None:  # class vectors and weight for the raw space
        print(carry_prior(out))
    print(f"wrote {out} ({config.name}, space=raw); load it with load_model({str(out)!r})")
    return 0

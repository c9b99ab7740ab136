"""``--text-endpoint/--text-model/--text-dimensions``: put a model config's text tower behind an embeddings API."""

from __future__ import annotations

import dataclasses

DEFAULT_KEY_ENV = "OPENAI_API_KEY"


def add_text_endpoint_args(parser) -> None:
    group = parser.add_argument_group(
        "text tower behind an embeddings API",
        "replace the architecture's text model by a model of an OpenAI-compatible /v1/embeddings endpoint "
        "(needs mmretrieval[openai]; a model config .json with \"text\": {\"kind\": \"openai\", ...} does the same)")
    group.add_argument("--text-endpoint", metavar="URL",
                       help="the endpoint's base URL, e.g. http://127.0.0.1:7997/v1 (default: $OPENAI_BASE_URL, "
                       "else OpenAI's)")
    group.add_argument("--text-model", metavar="NAME", help="the endpoint's model name, e.g. text-embedding-3-small")
    group.add_argument("--text-dimensions", type=int, metavar="N",
                       help="vector size to ask for (Matryoshka models; sent as `dimensions`); without it the "
                       "endpoint is asked once for one vector to learn its size")
    group.add_argument("--text-key-env", default=DEFAULT_KEY_ENV, metavar="VAR",
                       help="environment variable holding the API key (default: %(default)s; never stored)")


def with_text_endpoint(config, args):
    """``config`` with its text tower behind the endpoint named by ``args`` (unchanged when none is named)."""
    if not (args.text_endpoint or args.text_model or args.text_dimensions):
        return config
    if not args.text_model:
        raise ValueError("--text-endpoint and --text-dimensions need --text-model: the endpoint's model name "
                         "(e.g. text-embedding-3-small)")
    if args.text_dimensions is not None and args.text_dimensions < 1:
        raise ValueError(f"--text-dimensions must be >= 1, got {args.text_dimensions}")
    from ..config import ApiTextConfig

    text = ApiTextConfig(model=args.text_model, base_url=args.text_endpoint, dimensions=args.text_dimensions,
                         api_key_env=args.text_key_env)
    dim = args.text_dimensions or _endpoint_dim(text)
    ladder = tuple(d for d in config.matryoshka_dims if d < dim) + (dim,) if config.matryoshka_dims else ()
    return dataclasses.replace(
        config.uncalibrated(), name=f"{args.text_model.rsplit('/', 1)[-1]}-{config.trunk.name}", text=text,
        embed_dim=dim, matryoshka_dims=ladder,
        description=f"{args.text_model} (frozen, behind an embeddings API) + {config.trunk.name} (frozen) "
                    f"+ {config.adapter.kind} adapter")


def _endpoint_dim(text) -> int:
    """The size of the endpoint model's vectors, from one request."""
    from ..text.endpoint import EmbeddingsEndpoint

    dim = len(EmbeddingsEndpoint(text).embed(["size probe"])[0])
    print(f"{text.model} gives {dim}-d vectors (pass --text-dimensions {dim} to skip this request)")
    return dim

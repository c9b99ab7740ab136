"""``mmretrieval push``: upload a trained model folder to the Hugging Face Hub (with a model card)."""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser("push", help="share a trained adapter on the Hugging Face Hub")
    parser.add_argument("model", help="a saved model folder, e.g. runs/my-adapter/best")
    parser.add_argument("repo_id", help="the Hub repo to create or update, e.g. me/e5-dinov2-cc3m")
    parser.add_argument("--private", action="store_true", help="create the repo private")
    parser.add_argument("--training-log", default=None,
                        help="run folder or log.jsonl for the model card (default: next to the model folder)")
    parser.add_argument("--token", default=None, help="Hub token (default: `hf auth login` / $HF_TOKEN)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..registry import load_model

    model = load_model(args.model, device="cpu", runtime=getattr(args, "runtime", None))
    url = model.push_to_hub(args.repo_id, private=args.private or None, token=args.token,
                            training_log=args.training_log)
    print(f"pushed {args.model} to {args.repo_id}: {url}")
    print(f'load it with: load_model("{args.repo_id}")')
    return 0

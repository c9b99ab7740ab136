"""``mmretrieval eval``: evaluate a model on a dataset and task, run a suite file, or build the report."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    from ..evaluation.datasets import list_datasets  # reads a folder listing; no heavy imports

    parser = subparsers.add_parser(
        "eval", help="zero-shot classification, image-text and VQA retrieval: run, suite or report",
        description="One run: --model --dataset --task. Many: --suite FILE. Report: --report RESULTS_DIR.",
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--model", help="built-in model name, saved model folder, or open_clip architecture")
    mode.add_argument("--suite", help="suite JSON (models x datasets x tasks), e.g. eval/suite.json")
    mode.add_argument("--report", metavar="RESULTS_DIR", help="turn result JSONs into report.md/.csv + plots")
    parser.add_argument("--dataset", help=f"one of {', '.join(list_datasets())}, or a dataset config JSON file")
    parser.add_argument("--task", help="retrieval | zeroshot_classification | vqa | question_retrieval "
                                       "(default: every task the dataset supports)")
    parser.add_argument("--pretrained", help="open_clip: tag or checkpoint path; mmretrieval: 'none' for an "
                                             "untrained adapter")
    parser.add_argument("--open-clip-config", help="architecture JSON to register with open_clip first")
    parser.add_argument("--label", help="name for the model in results (default: from --model and --pretrained)")
    parser.add_argument("--data-root", help="folder the dataset paths are relative to (or $MMRETRIEVAL_DATA)")
    parser.add_argument("--dims", help="comma-separated Matryoshka dims to sweep (default 32,64,128,256 + full)")
    parser.add_argument("--out", help="where to write result JSONs (a run) or the report (default: next to "
                                      "RESULTS_DIR)")
    parser.add_argument("--only", action="append", help="with --suite: run only this model label (repeatable)")
    parser.add_argument("--max-per-class", type=int, metavar="N",
                        help="image-folder sets (cifar10, imagenette): the first N images per class; the committed "
                             "cifar10 result uses 200, as eval/suite.json does")
    parser.add_argument("--batch-size", type=int, default=64, help="images / texts per encoder call "
                                                                   "(default: %(default)s)")
    parser.add_argument("--limit", type=int, metavar="N",
                        help="smoke run: only N images spread evenly over the set, with their captions/questions "
                             "(also with --suite)")
    parser.set_defaults(func=run)


def run(args) -> int:
    if args.report:
        from ..evaluation.report import build_report

        written = build_report(args.report, args.out)
        print("\n".join(str(p) for p in written))
        return 0
    if args.suite:
        from ..evaluation.runner import run_suite

        if args.max_per_class:
            raise ValueError("--max-per-class is for one run; a suite sets it per dataset (\"args\" in the file)")
        for result in run_suite(args.suite, data_root=args.data_root, out_dir=args.out, models=args.only,
                                limit=args.limit, show_progress_bar=True,
                                runtime=getattr(args, "runtime", None)):
            print(_summary(result))
        return 0
    if not args.dataset:
        raise ValueError("--model needs --dataset (a name from the evaluation package or a config JSON)")
    from ..evaluation.datasets import load_dataset, tasks_for
    from ..evaluation.runner import evaluate, timed

    spec = _spec(args)
    options = {"max_per_class": args.max_per_class} if args.max_per_class else {}
    data, data_s = timed(load_dataset, args.dataset, args.data_root, limit=args.limit, **options)
    dims = [int(d) for d in args.dims.split(",")] if args.dims else None
    model, load_s = timed(spec.load, runtime=getattr(args, "runtime", None))
    print(f"loaded {spec.title} in {load_s:.1f} s", file=sys.stderr)
    for task in [args.task] if args.task else tasks_for(data):
        result = evaluate(spec, args.dataset, task, dims=dims, out_dir=args.out, model=model, data=data,
                          load_s=load_s, data_s=data_s, batch_size=args.batch_size, show_progress_bar=True)
        print(_summary(result) if args.out else json.dumps(result["metrics"], indent=1))
    return 0


def _spec(args):
    from ..evaluation.models import ModelSpec
    from ..registry import list_models

    ours = args.model in list_models() or (Path(args.model) / "config.json").is_file()
    if ours:
        if args.pretrained not in (None, "none"):
            raise ValueError(f"{args.model} is an mmretrieval model: --pretrained takes only 'none' (untrained)")
        return ModelSpec(args.model, pretrained=args.pretrained != "none", label=args.label)
    return ModelSpec(args.model, kind="open_clip", pretrained=args.pretrained, config=args.open_clip_config,
                     label=args.label)


def _summary(result: dict) -> str:
    metrics = ", ".join(f"{k}={v:.2f}" for k, v in list(result["metrics"].items())[:4])
    return f"{result['model']} | {result['dataset']} | {result['task']} | {metrics} | {result['wall_time_s']['total']}s"

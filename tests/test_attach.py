"""Attaching to a collection another tool made: checks, refusals, other points untouched, idempotent re-runs."""

import json
import warnings

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

from mmretrieval.store.foreign import OWNER, OWNER_KEY, foreign_text
from mmretrieval.indexing import Index
from mmretrieval.store import ModelMismatchError

from test_index import make_images

PASSAGES = ["a small cat sleeps on the sofa", "the rocket lifts off from the pad", "hot coffee in a white cup"]


def foreign_points(model, style):
    """Points as LangChain (``page_content``), LlamaIndex (``_node_content``) or plain qdrant-client write them,
    embedded by the model's own text tower (the text model alone, no mmretrieval in between)."""
    vectors = model.text_tower.encode(PASSAGES, normalize_embeddings=True)
    points = []
    for i, (text, vector) in enumerate(zip(PASSAGES, vectors)):
        if style == "langchain":
            payload = {"page_content": text, "metadata": {"source": f"notes/{i}.md"}}
        elif style == "llamaindex":
            node = {"id_": f"n{i}", "text": text, "metadata": {"file_path": f"notes/{i}.md"}, "class_name": "TextNode"}
            payload = {"_node_content": json.dumps(node), "_node_type": "TextNode", "file_path": f"notes/{i}.md",
                       "doc_id": "None", "document_id": "None", "ref_doc_id": "None"}
        else:
            payload = {"text": text, "kind": "image", "path": f"/elsewhere/{i}.jpg"}  # looks like ours, is not
        points.append(models.PointStruct(id=1000 + i, vector={VECTOR[style]: vector.tolist()}, payload=payload))
    return points


VECTOR = {"langchain": "", "llamaindex": "text-dense", "plain": "dense"}


def make_foreign(client, model, style, name="docs", dim=None, distance=models.Distance.COSINE):
    size = dim or model.embed_dim
    config = models.VectorParams(size=size, distance=distance)
    client.create_collection(name, vectors_config=config if style == "langchain" else {VECTOR[style]: config})
    if dim is None:
        client.upsert(name, foreign_points(model, style))


def snapshot_foreign(client, name="docs"):
    records, _ = client.scroll(name, limit=1000, with_payload=True, with_vectors=True)
    return {r.id: (r.payload, r.vector) for r in records if (r.payload or {}).get(OWNER_KEY) != OWNER}


@pytest.mark.parametrize("style", ["langchain", "llamaindex", "plain"])
def test_attach_writes_images_and_leaves_other_points_alone(tiny_model, tmp_path, style):
    client = QdrantClient(":memory:")
    make_foreign(client, tiny_model, style)
    before = snapshot_foreign(client)
    photos = tmp_path / "photos"
    paths = make_images(photos, 4)
    with Index.open(client=client, collection="docs", vector=VECTOR[style], model=tiny_model) as index:
        first = index.add_images([photos], batch_size=2, show_progress_bar=False)
        assert (first.added, first.unchanged) == (4, 0)
        assert index.count() == 7 and index.count("image") == 4  # its own images
        again = index.add_images([photos], batch_size=2, show_progress_bar=False)  # idempotent
        assert (again.added, again.updated, again.unchanged, again.removed) == (0, 0, 4, 0)
        paths[0].unlink()  # pruning removes mmretrieval's point of the deleted file, nothing else
        third = index.add_images([photos], show_progress_bar=False)
        assert (third.removed, third.unchanged) == (1, 3)

        hits = index.search(vector=tiny_model.text_tower.encode(PASSAGES[1]), kinds=("image", "text"), limit=10)
        texts = [h for h in hits if h.kind == "text"]  # (the two rankings are fused: their best lead their kinds)
        assert texts[0].payload["text"] == PASSAGES[1] and all(h.explanation for h in hits)
        assert {h.kind for h in hits} == {"image", "text"} and len(hits) == 6
        images = index.search(image=paths[1], limit=3)
        assert images[0].path == str(paths[1]) and all(h.kind == "image" for h in images)
        assert index.similar(images[0].id, limit=2)[0].kind == "image"
    after = snapshot_foreign(client)  # their points: same ids, payloads and vectors
    assert after.keys() == before.keys() and all(after[i][0] == before[i][0] for i in before)
    for i, (_, vectors) in before.items():  # qdrant-client 1.20's local mode re-normalises stored vectors: float32 noise
        for name, vector in (vectors.items() if isinstance(vectors, dict) else [("", vectors)]):
            kept = after[i][1][name] if name else after[i][1]
            np.testing.assert_allclose(kept, vector, atol=1e-6)
    records, _ = client.scroll("docs", limit=100, with_vectors=True,
                               scroll_filter=models.Filter(must=[models.FieldCondition(
                                   key=OWNER_KEY, match=models.MatchValue(value=OWNER))]))
    assert len(records) == 3
    for record in records:  # one vector, the shared one, unit norm; a payload each tool can show
        vector = record.vector if style == "langchain" else record.vector[VECTOR[style]]
        assert len(vector) == tiny_model.embed_dim and abs(np.linalg.norm(vector) - 1) < 1e-5
        assert record.payload["page_content"] == record.payload["path"]
        assert record.payload["metadata"]["kind"] == "image" and record.payload["metadata"]["path"].endswith(".jpg")
        node = json.loads(record.payload["_node_content"])
        assert record.payload["_node_type"] == "ImageNode" and node["image_path"] == record.payload["path"]
        assert foreign_text(record.payload) == record.payload["path"]


def test_cli_attaches_to_a_folder_store(tiny_model_config, tiny_model, tmp_path, assets, capsys):
    from mmretrieval.cli.main import main

    model_dir = tiny_model.save(tmp_path / "tiny")
    store = tmp_path / "store"
    client = QdrantClient(path=str(store))  # another tool makes the collection, then lets the folder go
    make_foreign(client, tiny_model, "langchain")
    client.close()
    args = ["index", str(assets), "--store", str(store), "--collection", "docs", "--vector", "", "--model",
            str(model_dir), "--no-progress"]
    assert main(args) == 0
    assert "added 5" in capsys.readouterr().out
    assert main(args) == 0
    assert "unchanged 5" in capsys.readouterr().out
    assert main(["search", "a cat", "--store", str(store), "--collection", "docs", "--vector", "", "--model",
                 str(model_dir), "--kinds", "image,text", "--json", "--limit", "20"]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # the 5 photos of assets/ and the other tool's 3 texts
    assert sorted(h["kind"] for h in hits) == ["image"] * 5 + ["text"] * 3
    assert {h["text"] for h in hits if h["kind"] == "text" and "hash" not in h} == set(PASSAGES)
    assert all("page_content" not in h for h in hits if "hash" in h)  # mmretrieval's own keys only
    client = QdrantClient(path=str(store))
    assert client.count("docs").count == 8
    client.close()


def test_a_bad_file_in_an_attached_collection_is_skipped_and_the_run_goes_on(tiny_model, tmp_path, assets, capsys):
    """An attached collection has no room for the vector-less point that remembers a bad file elsewhere:
    the bad file is listed, the good ones indexed, and the next run reads it again."""
    import shutil

    from mmretrieval.cli.main import main

    model_dir = tiny_model.save(tmp_path / "tiny")
    photos = shutil.copytree(assets, tmp_path / "photos")
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (photos / "binary.txt").write_bytes(b"\x00\x01 not text")
    store = tmp_path / "store"
    client = QdrantClient(path=str(store))
    make_foreign(client, tiny_model, "langchain")
    client.close()
    args = ["index", str(photos), "--store", str(store), "--collection", "docs", "--vector", "", "--model",
            str(model_dir), "--no-progress", "--json"]
    for _ in range(2):  # the second run reads the bad files again (and nothing else)
        assert main(args) == 0
        report = json.loads(capsys.readouterr().out)
        assert [s["path"] for s in report["images"]["skipped"]] == [str(photos / "broken.jpg")]
        assert [s["path"] for s in report["documents"]["skipped"]] == [str(photos / "binary.txt")]
        assert report["images"]["added"] + report["images"]["unchanged"] == 5 and report["points"] == 8
    client = QdrantClient(path=str(store))
    kinds = [r.payload.get("kind") for r in client.scroll("docs", limit=100)[0]]
    client.close()
    assert "skipped" not in kinds and kinds.count("image") == 5


def test_refusals_name_the_problem(tiny_model, tmp_path, tiny_model_config):
    client = QdrantClient(":memory:")
    photos = tmp_path / "photos"
    make_images(photos, 1)

    def attach(name, vector):
        with Index.open(client=client, collection=name, vector=vector, model=tiny_model) as index:
            index.add_images([photos], show_progress_bar=False)

    with pytest.raises(ValueError, match="does not exist.*Create it there first"):
        attach("missing", "")
    make_foreign(client, tiny_model, "llamaindex", name="named")
    with pytest.raises(ValueError, match="no dense vector 'wrong'.*'text-dense'"):
        attach("named", "wrong")
    make_foreign(client, tiny_model, "langchain", name="wide", dim=64)
    with pytest.raises(ModelMismatchError, match="64-d, but this model's vectors are 32-d"):
        attach("wide", "")
    make_foreign(client, tiny_model, "langchain", name="dot", dim=32, distance=models.Distance.DOT)
    with pytest.raises(ModelMismatchError, match="compares by Dot"):
        attach("dot", "")
    # same dims and distance, another text model: caught by re-embedding the collection's texts
    other = np.random.default_rng(0).normal(size=(3, 32))
    client.create_collection("other", vectors_config=models.VectorParams(size=32, distance=models.Distance.COSINE))
    client.upsert("other", [models.PointStruct(id=i, vector=v.tolist(), payload={"page_content": t})
                            for i, (t, v) in enumerate(zip(PASSAGES, other))])
    with pytest.raises(ModelMismatchError, match="not embedded by this model's text model.*median cosine"):
        attach("other", "")
    assert client.count("other").count == 3


def test_refuses_other_adapter_weights_and_centred_models(tiny_model, tiny_model_config, tmp_path):
    import torch

    from mmretrieval import MMRetrievalModel

    client = QdrantClient(":memory:")
    make_foreign(client, tiny_model, "langchain")
    photos = tmp_path / "photos"
    make_images(photos, 2)
    with Index.open(client=client, collection="docs", vector="", model=tiny_model) as index:
        index.add_images([photos], show_progress_bar=False)
    torch.manual_seed(1)
    retrained = MMRetrievalModel(tiny_model_config, device="cpu")  # same name and text model, other adapter
    with pytest.raises(ModelMismatchError, match="mmretrieval's points in collection 'docs'.*weights"):
        Index.open(client=client, collection="docs", vector="", model=retrained).add_images([photos], show_progress_bar=False)
    query = tiny_model.text_tower.encode(PASSAGES[0])
    with pytest.raises(ModelMismatchError, match="mmretrieval's points in collection 'docs'.*weights"):
        Index.open(client=client, collection="docs", vector="", model=retrained).search(vector=query)  # reads too
    make_foreign(client, tiny_model, "langchain", name="fresh")  # (no point of mmretrieval's in it yet)
    with torch.no_grad():
        retrained.space.text_mean.fill_(0.1)
    with pytest.raises(ValueError, match="centred space"):
        Index.open(client=client, collection="fresh", vector="", model=retrained).add_images([photos], show_progress_bar=False)


def test_empty_foreign_collection_warns_that_the_model_was_not_checked(tiny_model, tmp_path):
    client = QdrantClient(":memory:")
    make_foreign(client, tiny_model, "langchain", dim=32)
    make_images(tmp_path / "p", 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Index.open(client=client, collection="docs", vector="", model=tiny_model) as index:
            assert index.add_images([tmp_path / "p"], show_progress_bar=False).added == 1
    assert any("could not be checked" in str(w.message) for w in caught)


def test_own_collection_is_not_attached_and_attached_is_not_dropped(tiny_model, tmp_path):
    client = QdrantClient(":memory:")
    make_images(tmp_path / "p", 1)
    with Index.open(client=client, collection="mine", model=tiny_model) as index:
        index.add_images([tmp_path / "p"], show_progress_bar=False)
    with pytest.raises(ValueError, match="made by mmretrieval itself; open it without --vector"):
        Index.open(client=client, collection="mine", vector="image", model=tiny_model).ensure_collection()
    make_foreign(client, tiny_model, "langchain")
    with pytest.raises(ValueError, match="does not delete it"):
        Index.open(client=client, collection="docs", vector="", model=tiny_model).store.drop()
    with pytest.raises(ModelMismatchError, match="attach to it with --vector NAME"):
        Index.open(client=client, collection="docs", model=tiny_model).ensure_collection()
    with pytest.raises(ValueError, match="made by another tool; pass the raw-space model"):
        Index.open(client=client, collection="docs", vector="").search(text="a cat")

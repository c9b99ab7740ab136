"""Text documents indexed as passages beside images; captions from sidecars and CSV; fused retrieval."""

import json

import pytest

from mmretrieval.indexing.captions import read_caption_csv, sidecar_captions
from mmretrieval.indexing import Index
from mmretrieval.indexing.files import walk
from mmretrieval.rag import retrieve

SPACE = "# Rockets\n\n" + "A rocket burns fuel to lift off into orbit. " * 30 + "\n\n# Cats\n\n" + "Cats sleep on sofas. " * 30


@pytest.fixture()
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "space.md").write_text(SPACE)
    (folder / "notes.txt").write_text("Coffee is brewed from roasted beans. " * 10)
    (folder / "photo.jpg").write_bytes(b"")  # an image: its photo.txt below is a caption sidecar
    (folder / "photo.txt").write_text("a caption, not a document")
    (folder / "bad.txt").write_bytes(b"\xff\xfe\x00\x00binary")
    return folder


@pytest.fixture()
def index(tiny_model):
    with Index.open(path=":memory:", model=tiny_model) as idx:
        yield idx


def test_the_walk_tells_documents_from_caption_sidecars(docs, index):
    found = walk(docs)
    assert [p.rsplit("/", 1)[-1] for p in found.documents] == ["bad.txt", "notes.txt", "space.md"]
    assert found.sidecars == {str(docs / "photo.jpg"): str(docs / "photo.txt")} and found.passed_over == []
    assert walk(docs / "photo.txt").documents == [str(docs / "photo.txt")]  # named on its own: taken as named
    with pytest.raises(ValueError, match="not a text document"):
        index.add_texts(docs / "photo.jpg")
    with pytest.raises(ValueError, match="is a text document; index it with add_texts"):
        index.add_images(docs / "notes.txt")
    with pytest.raises(FileNotFoundError):
        walk(docs / "missing.md")


def test_passages_are_stored_with_offsets_and_text_vectors(index, docs):
    report = index.add_texts(docs, size=40, overlap=8, show_progress_bar=False)
    assert (report.added, report.updated, report.unchanged) == (2, 0, 0)
    assert [p.rsplit("/", 1)[-1] for p, _ in report.skipped] == ["bad.txt"]
    records = list(index.store.scroll({"kind": "text"}, with_vectors=True))
    assert len(records) == index.count("text") > 4
    source = {str(docs / "space.md"): SPACE, str(docs / "notes.txt"): (docs / "notes.txt").read_text()}
    for r in records:
        p = r.payload
        assert source[p["path"]][p["start"] : p["end"]] == p["text"]
        assert set(r.vector) == {"text", "small"}
    # the stored vector is the passage embedding of that text
    one = records[0]
    expected = index.model.encode_text(one.payload["text"], task="retrieval.passage")
    assert float(expected @ one.vector["text"]) == pytest.approx(1.0, abs=1e-4)


def test_reindexing_is_incremental(index, docs):
    index.add_texts(docs, size=40, overlap=8, show_progress_bar=False)
    before = index.count("text")
    again = index.add_texts(docs, size=40, overlap=8, show_progress_bar=False)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2) and index.count("text") == before
    (docs / "notes.txt").write_text("Short now.")
    (docs / "space.md").unlink()
    changed = index.add_texts(docs, size=40, overlap=8, show_progress_bar=False)
    assert (changed.updated, changed.removed) == (1, 1)
    assert [r.payload["text"] for r in index.store.scroll({"kind": "text"})] == ["Short now."]


def test_captions_from_sidecars_and_csv(tmp_path, assets):
    images = [str(assets / "cat.jpg"), str(assets / "rocket.jpg")]
    folder = tmp_path / "imgs"
    folder.mkdir()
    cat = folder / "cat.jpg"
    cat.write_bytes((assets / "cat.jpg").read_bytes())
    (folder / "cat.txt").write_text("a cat on a sofa\n")
    assert sidecar_captions([str(cat), images[1]]) == {str(cat): "a cat on a sofa"}
    table = tmp_path / "captions.csv"
    table.write_text(f"Image,Caption\nimgs/cat.jpg,a sleepy cat\n{images[1]},a rocket launch\nimgs/x.jpg,\n")
    assert read_caption_csv(table) == {str(cat): "a sleepy cat", images[1]: "a rocket launch"}
    (tmp_path / "bad.csv").write_text("name,label\na,b\n")
    with pytest.raises(ValueError, match="needs a header"):
        read_caption_csv(tmp_path / "bad.csv")


def test_index_add_takes_every_caption_source_the_command_does(index, tmp_path, assets):
    folder = tmp_path / "lib"
    folder.mkdir()
    for name in ("cat.jpg", "rocket.jpg", "coffee.jpg"):
        (folder / name).write_bytes((assets / name).read_bytes())
    (folder / "cat.txt").write_text("a cat on a sofa\n")  # sidecar
    (folder / "notes.md").write_text("# Notes\n\nA rocket on the pad.\n")
    (folder / "junk.zip").write_bytes(b"PK\x03\x04")
    (tmp_path / "captions.json").write_text(json.dumps({"lib/rocket.jpg": "a rocket launch"}))

    def captions():
        return {r.payload["path"].rsplit("/", 1)[1]: (r.payload.get("caption"), "text" in r.vector)
                for r in index.store.scroll({"kind": "image"}, with_vectors=True)}

    report = index.add([folder], captions=tmp_path / "captions.json", passage_tokens=40, passage_overlap=8,
                       show_progress_bar=False)
    assert (report.images.added, report.documents.added, report.passed_over) == (3, 1, [str(folder / "junk.zip")])
    assert captions() == {"cat.jpg": ("a cat on a sofa", True), "rocket.jpg": ("a rocket launch", True),
                          "coffee.jpg": (None, False)}
    (tmp_path / "captions.csv").write_text("path,caption\nlib/coffee.jpg,hot coffee\n")
    again = index.add([folder], captions=str(tmp_path / "captions.csv"), show_progress_bar=False)
    assert (again.images.updated, again.images.unchanged, again.documents.unchanged) == (2, 1, 1)
    assert captions() == {"cat.jpg": ("a cat on a sofa", True), "rocket.jpg": (None, False),
                          "coffee.jpg": ("hot coffee", True)}
    mine = index.add(folder / "coffee.jpg", captions={str(folder / "coffee.jpg"): "an espresso"}, sidecars=False)
    assert mine.images.updated == 1 and mine.documents is None and captions()["coffee.jpg"] == ("an espresso", True)
    with pytest.raises(ValueError, match="one JSON object mapping image paths"):
        (tmp_path / "list.json").write_text("[]")
        index.add([folder], captions=tmp_path / "list.json")


def test_rag_bundle_mixes_images_and_passages(index, docs, assets):
    index.add_images(assets, captions={str(assets / "rocket.jpg"): "a rocket launching"}, show_progress_bar=False)
    index.add_texts(docs, size=40, overlap=8, show_progress_bar=False)
    bundle = retrieve(index, "how does a rocket reach orbit?", limit=6, max_images=2, fusion="rrf")  # (rank fusion interleaves)
    data = json.loads(bundle.to_json())
    types = [item["kind"] for item in data["items"]]
    assert len(types) == 6 and types.count("image") == 2 and "text" in types
    scores = [item["score"] for item in data["items"]]
    assert scores == sorted(scores, reverse=True)
    for item in data["items"]:
        assert item["explanation"] and all(e["list"] in ("image", "text") for e in item["explanation"])
        assert (item["kind"] == "image") == (item["text"] is None)
    rocket = next(i for i in data["items"] if i["path"] and i["path"].endswith("rocket.jpg"))
    assert rocket["caption"] == "a rocket launching"
    assert "Question: how does a rocket reach orbit?" in bundle.prompt
    with pytest.raises(ValueError, match="empty"):
        retrieve(index, "  ")

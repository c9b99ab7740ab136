"""A re-index with nothing changed loads no model and reads no file; bad files are remembered by
size + mtime and read again only once they change."""

import os
import shutil

import pytest

from mmretrieval.indexing import Index, index as index_module
from mmretrieval.store import VectorStore


@pytest.fixture
def photos(tmp_path, assets):
    folder = shutil.copytree(assets, tmp_path / "photos")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (folder / "notes.md").write_text("# Notes\n\nA rocket on the pad.\n")
    return folder


def no_model_loads(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr("mmretrieval.registry.load_model", refuse)


def test_unchanged_folder_loads_no_model_and_reads_no_file(tiny_model, photos, tmp_path, monkeypatch):
    from mmretrieval.indexing.texts import add_texts

    with Index.open(path=tmp_path / "q", model=tiny_model) as index:
        first = index.add_images([photos], show_progress=False)
        add_texts(index, [photos], show_progress=False)
    assert first.added == 5 and [os.path.basename(p) for p, _ in first.skipped] == ["broken.jpg"]

    no_model_loads(monkeypatch)
    reads = []
    real_prepare = index_module.prepare
    monkeypatch.setattr(index_module, "prepare", lambda path, *a: reads.append(path) or real_prepare(path, *a))
    with Index.open(path=tmp_path / "q") as index:  # no model given: the collection's would be loaded
        again = index.add_images([photos], show_progress=False)
        docs = add_texts(index, [photos], show_progress=False)
        assert index.count() == 5 + index.count("text")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5) and docs.unchanged == 1
    assert [os.path.basename(p) for p, _ in again.skipped] == ["broken.jpg"]  # still listed, with its reason
    assert "truncated" in again.skipped[0][1] or "not an image" in again.skipped[0][1]
    assert reads == []  # the bad file was not read again


def test_a_bad_file_is_read_again_once_it_changes(tiny_model, photos, assets, tmp_path):
    store = VectorStore(path=tmp_path / "q")
    with Index(store, tiny_model) as index:
        index.add_images([photos], show_progress=False)
        shutil.copy(assets / "cat.jpg", photos / "broken.jpg")  # fixed: new size and mtime
        fixed = index.add_images([photos], show_progress=False)
        assert fixed.added == 1 and fixed.skipped == []
        assert list(store.scroll({"kind": "skipped"})) == []  # nothing left to remember
        (photos / "broken.jpg").write_bytes(b"broken again")
        broken = index.add_images([photos], show_progress=False)
        assert [os.path.basename(p) for p, _ in broken.skipped] == ["broken.jpg"] and index.count() == 5
        os.remove(photos / "broken.jpg")
        index.add_images([photos], show_progress=False)
        assert list(store.scroll({"kind": "skipped"})) == []  # gone from disk: forgotten

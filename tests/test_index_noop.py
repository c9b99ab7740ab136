"""A re-index with nothing changed loads no model and reads no file; bad files are remembered by
size + mtime and read again only once they change."""

import os
import shutil

import pytest

from mmretrieval.indexing import Index, image_source, texts
from mmretrieval.store import VectorStore


@pytest.fixture
def photos(tmp_path, assets):
    folder = shutil.copytree(assets, tmp_path / "photos")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (folder / "notes.md").write_text("# Notes\n\nA rocket on the pad.\n")
    (folder / "binary.txt").write_bytes(b"\x00\x01 not text")
    return folder


def no_model_loads(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr("mmretrieval.registry.load_model", refuse)


def record_reads(monkeypatch) -> list:
    """The files an index run opens (images and documents), in the order read."""
    reads = []
    real_prepare, real_read_document = image_source.prepare, texts.read_document

    def prepare(path, *args, **kwargs):
        reads.append(path)
        return real_prepare(path, *args, **kwargs)

    def read_document(path):
        reads.append(str(path))
        return real_read_document(path)

    monkeypatch.setattr(image_source, "prepare", prepare)
    monkeypatch.setattr(texts, "read_document", read_document)
    return reads


def test_unchanged_folder_loads_no_model_and_reads_no_file(tiny_model, photos, tmp_path, monkeypatch):
    with Index.open(path=tmp_path / "q", model=tiny_model) as index:
        reads = record_reads(monkeypatch)
        first = index.add([photos], show_progress_bar=False)
    assert first.images.added == 5 and [os.path.basename(p) for p, _ in first.images.skipped] == ["broken.jpg"]
    assert first.documents.added == 1 and [os.path.basename(p) for p, _ in first.documents.skipped] == ["binary.txt"]
    assert len(reads) == 8  # (the recorder sees every file read)

    no_model_loads(monkeypatch)
    reads.clear()
    with Index.open(path=tmp_path / "q") as index:  # no model given: the collection's would be loaded
        again = index.add([photos], show_progress_bar=False)
        assert index.count() == 5 + index.count("text")
    assert (again.images.added, again.images.updated, again.images.unchanged) == (0, 0, 5)
    assert (again.documents.added, again.documents.updated, again.documents.unchanged) == (0, 0, 1)
    assert [os.path.basename(p) for p, _ in again.images.skipped] == ["broken.jpg"]  # still listed, with its reason
    assert "truncated" in again.images.skipped[0][1] or "not an image" in again.images.skipped[0][1]
    assert [os.path.basename(p) for p, _ in again.documents.skipped] == ["binary.txt"]
    assert reads == []  # neither the unchanged files nor the bad ones were read again

    stat = os.stat(photos / "notes.md")
    os.utime(photos / "notes.md", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # touched, same text
    with Index.open(path=tmp_path / "q") as index:
        touched = index.add([photos], show_progress_bar=False)
    assert reads == [str(photos / "notes.md")] and touched.documents.unchanged == 1  # read, not re-encoded
    with Index.open(path=tmp_path / "q") as index:
        assert index.add([photos], show_progress_bar=False).documents.unchanged == 1
    assert reads == [str(photos / "notes.md")]  # its new mtime was stored


def test_a_bad_file_is_read_again_once_it_changes(tiny_model, photos, assets, tmp_path):
    store = VectorStore(path=tmp_path / "q")
    with Index(store, tiny_model) as index:
        index.add_images([photos], show_progress_bar=False)
        shutil.copy(assets / "cat.jpg", photos / "broken.jpg")  # fixed: new size and mtime
        fixed = index.add_images([photos], show_progress_bar=False)
        assert fixed.added == 1 and fixed.skipped == []
        assert list(store.scroll({"kind": "skipped"})) == []  # nothing left to remember
        (photos / "broken.jpg").write_bytes(b"broken again")
        broken = index.add_images([photos], show_progress_bar=False)
        assert [os.path.basename(p) for p, _ in broken.skipped] == ["broken.jpg"] and index.count() == 5
        os.remove(photos / "broken.jpg")
        index.add_images([photos], show_progress_bar=False)
        assert list(store.scroll({"kind": "skipped"})) == []  # gone from disk: forgotten

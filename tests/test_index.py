"""Index.add_images: incremental add/change/delete, idempotent re-runs, bad files, captions, search."""

import os
import shutil

import numpy as np
import pytest
from PIL import Image

from mmretrieval.indexing import Index
from mmretrieval.store import ModelMismatchError, VectorStore


def make_images(folder, n, size=48, seed=0):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        path = folder / f"img{i:03d}.jpg"
        Image.fromarray(rng.integers(0, 255, (size, size + i % 3, 3), dtype=np.uint8)).save(path, quality=90)
        paths.append(path)
    return paths


def snapshot(store):
    """id -> (payload, vectors) of every point: what two runs must agree on."""
    return {str(r.id): (r.payload, {k: np.asarray(v) for k, v in r.vector.items()})
            for r in store.scroll(with_vectors=True)}


def assert_same_collection(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert a[key][0] == b[key][0]
        assert a[key][1].keys() == b[key][1].keys()
        for name in a[key][1]:
            np.testing.assert_allclose(a[key][1][name], b[key][1][name], atol=1e-5)


@pytest.fixture
def index(tiny_model):
    with Index(VectorStore(":memory:"), tiny_model) as idx:
        yield idx


def test_incremental_add_change_delete_and_idempotent_rerun(index, tmp_path):
    paths = make_images(tmp_path / "photos", 6)
    report = index.add_images([tmp_path / "photos"], batch_size=4, show_progress_bar=False)
    assert (report.added, report.updated, report.unchanged, report.removed, report.skipped) == (6, 0, 0, 0, [])
    first = snapshot(index.store)
    payload = next(iter(first.values()))[0]
    assert {"kind", "path", "hash", "size", "width", "height", "mtime"} <= payload.keys()
    assert payload["width"] in (48, 49, 50) and payload["height"] == 48

    again = index.add_images([tmp_path / "photos"], batch_size=4, show_progress_bar=False)
    assert (again.added, again.updated, again.unchanged, again.removed) == (0, 0, 6, 0)
    assert_same_collection(snapshot(index.store), first)

    make_images(tmp_path / "new", 1, seed=5)[0].rename(paths[0])  # change one file
    paths[1].unlink()  # delete one
    make_images(tmp_path / "photos" / "sub", 2, seed=9)  # add two, in a subfolder
    os.utime(paths[2], (1, 1))  # touch one: same content, new mtime
    report = index.add_images([tmp_path / "photos"], batch_size=4, show_progress_bar=False)
    assert (report.added, report.updated, report.unchanged, report.removed) == (2, 1, 4, 1)
    stored = {h.path: h for h in map(index.get, snapshot(index.store))}
    assert str(paths[1]) not in stored and len(stored) == index.count() == 7
    assert stored[str(paths[2])].payload["mtime"] == 1
    # a fresh index of the same files ends identical
    with Index(VectorStore(":memory:"), index.model) as fresh:
        fresh.add_images([tmp_path / "photos"], show_progress_bar=False)
        assert_same_collection(snapshot(fresh.store), snapshot(index.store))


def test_scope_leaves_other_folders_alone_and_globs_work(index, tmp_path):
    make_images(tmp_path / "a", 2)
    b = make_images(tmp_path / "b", 3, seed=1)
    index.add_images([tmp_path / "a"], show_progress_bar=False)
    report = index.add_images([str(tmp_path / "b" / "*.jpg")], show_progress_bar=False)
    assert report.added == 3 and index.count() == 5
    b[0].unlink()
    assert index.add_images([str(tmp_path / "b" / "*.jpg")], show_progress_bar=False).removed == 1
    assert index.count() == 4
    assert index.add_images([tmp_path / "a"], show_progress_bar=False).removed == 0


def test_bad_files_are_skipped_and_reported(index, tmp_path, assets):
    folder = tmp_path / "mixed"
    good = make_images(folder, 2)
    (folder / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(300))
    data = (assets / "cat.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (folder / "notes.png").write_text("this is text, not a picture")
    (folder / "empty.jpg").write_bytes(b"")
    Image.new("RGB", (400, 400)).save(folder / "huge.png")
    (folder / "readme.txt").write_text("ignored by folder scans")
    report = index.add_images([folder], max_pixels=150_000, show_progress_bar=False)
    reasons = {os.path.basename(path): reason for path, reason in report.skipped}
    assert report.added == len(good) == index.count()
    assert set(reasons) == {"corrupt.jpg", "truncated.jpg", "notes.png", "empty.jpg", "huge.png"}
    assert "empty file" in reasons["empty.jpg"]
    assert "not an image" in reasons["notes.png"]
    assert "truncated" in reasons["truncated.jpg"] and "truncated" in reasons["corrupt.jpg"]
    assert "exceeds the limit" in reasons["huge.png"]
    make_images(tmp_path / "other", 1, seed=3)[0].rename(good[0])  # changed, and now over a 10-byte limit
    too_big = index.add_images([good[0]], max_bytes=10, show_progress_bar=False)
    assert "over the limit" in too_big.skipped[0][1] and index.count() == 1  # its old point is gone too
    assert "skipped 1" in too_big.summary()


def test_model_mismatch_is_refused(tiny_model, tiny_model_config, tmp_path):
    import torch

    from mmretrieval import MMRetrievalModel

    make_images(tmp_path / "p", 1)
    store = VectorStore(":memory:")
    Index(store, tiny_model).add_images([tmp_path / "p"], show_progress_bar=False)
    torch.manual_seed(1)
    retrained = MMRetrievalModel(tiny_model_config, device="cpu")  # same name, other adapter weights
    with pytest.raises(ModelMismatchError, match="not comparable"):
        Index(store, retrained).add_images([tmp_path / "p"], show_progress_bar=False)
    assert store.count() == 1


def test_search_similar_filters_captions_and_prefetch(index, tmp_path, assets):
    folder = tmp_path / "assets"
    shutil.copytree(assets, folder)
    captions = {str(folder / "cat.jpg"): "a cat lying on a couch"}
    index.add_images([folder], captions=captions, show_progress_bar=False)
    cat = [h for h in index.search(image=folder / "cat.jpg", limit=5)]
    assert cat[0].path == str(folder / "cat.jpg") and cat[0].score == pytest.approx(1.0, abs=1e-4)
    assert len(cat) == 5 and all(h.kind == "image" for h in cat)
    assert len(index.search(text="a rocket", limit=3, dim=16)) == 3  # (the prefetch itself: tests/test_search.py)
    similar = index.similar(cat[0].id, limit=10)
    assert cat[0].id not in {h.id for h in similar} and len(similar) == 4
    wide = index.search(text="x", limit=10, filter={"width": {"gte": 500}})
    assert wide and all(h.payload["width"] >= 500 for h in wide)
    # image -> text: the caption is embedded as the point's text vector
    texts = index.search(image=folder / "cat.jpg", kinds=("text",))
    assert [h.payload["caption"] for h in texts] == ["a cat lying on a couch"]
    assert index.get(cat[0].id).payload["caption"] == "a cat lying on a couch"
    assert index.get("00000000-0000-0000-0000-000000000000") is None
    with pytest.raises(ValueError, match="exactly one"):
        index.search(text="a", image=folder / "cat.jpg")

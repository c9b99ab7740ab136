"""kill -9 in the middle of `mmretrieval index`, run again: the collection equals an uninterrupted run's."""

import sqlite3
import sys

from killing import kill_9_when
from mmretrieval import MMRetrievalModel
from mmretrieval.indexing import Index
from mmretrieval.store import VectorStore
from test_index import assert_same_collection, make_images, snapshot

N_IMAGES = 40


def _stored_points(store_dir) -> int:
    db = store_dir / "collection" / "mmretrieval" / "storage.sqlite"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as conn:
            return conn.execute("SELECT count(*) FROM points").fetchone()[0]
    except sqlite3.OperationalError:  # table not created yet, or busy
        return 0


def test_kill_9_mid_run_then_rerun_equals_uninterrupted_run(tiny_model, tmp_path):
    folder = tmp_path / "photos"
    make_images(folder, N_IMAGES, size=40)
    model_dir = tiny_model.save(tmp_path / "model")
    killed_store = tmp_path / "killed"
    command = [sys.executable, "-m", "mmretrieval.cli.main", "index", str(folder), "--store", str(killed_store),
               "--model", str(model_dir), "--batch-size", "2", "--workers", "1", "--no-progress"]
    # start-up alone takes minutes on a loaded 2-core machine
    at_kill = kill_9_when(command, lambda: _stored_points(killed_store), at_least=6, timeout=600)
    assert 0 < at_kill < N_IMAGES, f"the kill should land mid-run, {at_kill} of {N_IMAGES} were stored"

    model = MMRetrievalModel.load(model_dir, device="cpu")
    with Index(VectorStore(killed_store), model) as resumed:
        report = resumed.add_images([folder], show_progress_bar=False)
        assert report.unchanged >= at_kill - 2 and report.added + report.unchanged == N_IMAGES
        got = snapshot(resumed.store)
    with Index(VectorStore(tmp_path / "clean"), model) as clean:
        clean.add_images([folder], batch_size=8, show_progress_bar=False)
        want = snapshot(clean.store)
    assert len(want) == N_IMAGES
    assert_same_collection(got, want)

"""The Ray Data job on a local 2-CPU Ray cluster writes exactly the points `mmretrieval index` writes."""

import shutil

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="the Ray job needs the ray extra: pip install 'mmretrieval[ray]'")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def photo_folder(assets, tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    for photo in sorted(assets.glob("*.jpg")):
        shutil.copy(photo, folder / photo.name)
    (folder / "nested").mkdir()
    shutil.copy(assets / "cat.jpg", folder / "nested" / "cat-copy.jpg")  # same bytes, other path: other id
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return folder


def _points(path):
    from mmretrieval.store import VectorStore

    with VectorStore(path=str(path)) as store:
        # the image points (`index` also keeps vector-less "skipped" points for its bad files; the Ray job does not)
        return {str(p.id): (p.payload, p.vector) for p in store.scroll(with_vectors=True) if p.payload["kind"] == "image"}


def test_ray_job_matches_index_point_for_point(local_ray, tiny_model, photo_folder, tmp_path):
    import pyarrow.parquet as pq

    from mmretrieval.distributed.ray_index import ray_index
    from mmretrieval.indexing import Index

    saved = tiny_model.save(tmp_path / "model")
    with Index.open(path=str(tmp_path / "indexed"), model=tiny_model) as index:
        report = index.add_images([str(photo_folder)], show_progress_bar=False)
    done = ray_index([str(photo_folder)], model=str(saved), store=str(tmp_path / "ray"), parquet=str(tmp_path / "pq"),
                     batch_size=2, actors=1)
    assert done.written == report.added == 6
    assert sorted(done.skipped) == sorted(report.skipped) and "broken.jpg" in done.skipped[0][0]
    expected, got = _points(tmp_path / "indexed"), _points(tmp_path / "ray")
    assert set(got) == set(expected)
    for point_id, (payload, vectors) in expected.items():
        assert got[point_id][0] == payload
        assert set(got[point_id][1]) == set(vectors)
        for name in vectors:
            np.testing.assert_allclose(got[point_id][1][name], vectors[name], atol=1e-5)
    table = pq.read_table(tmp_path / "pq")
    assert table.num_rows == 7 and {"id", "path", "hash", "image", "small", "error"} <= set(table.column_names)

    again = ray_index([str(photo_folder)], model=str(saved), store=str(tmp_path / "ray"), batch_size=4, actors=1)
    assert again.written == 6 and set(_points(tmp_path / "ray")) == set(expected)  # idempotent: same ids
    with Index.open(path=str(tmp_path / "ray"), model=tiny_model) as index:  # index sees nothing to do
        followup = index.add_images([str(photo_folder)], show_progress_bar=False)
    assert followup.added == followup.updated == followup.removed == 0 and followup.unchanged == 6

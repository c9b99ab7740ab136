"""kill -9 a process writing to an embedded store: every acknowledged write survives, the lock is freed."""

import signal
import subprocess
import sys

import pytest

from mmretrieval.store import VectorStore, point_id
from mmretrieval.store.backends import ENGINES

WRITER = """
import sys
import numpy as np
from mmretrieval.store import IMAGE, SMALL, Point, VectorStore, point_id
store = VectorStore(sys.argv[1], engine=sys.argv[2])
store.ensure_collection("m", 8, 4)
rng = np.random.default_rng(0)
for i in range(100_000):
    v = rng.normal(size=8)
    store.upsert([Point(point_id(str(i)), {IMAGE: v, SMALL: v[:4] / np.linalg.norm(v[:4])}, {"kind": "image", "n": i})])
    print(i, flush=True)  # acknowledged: upsert returned
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_acknowledged_writes_survive_kill_9(tmp_path, engine):
    if engine == "edge":
        pytest.importorskip("qdrant_edge", reason="engine 'edge' needs qdrant-edge-py (the edge extra)")
    path = str(tmp_path / "q")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, path, engine], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    acknowledged = [int(proc.stdout.readline()) for _ in range(30)]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()[-2000:]
    with VectorStore(path, engine=engine) as store:  # opens: the dead process's lock is gone
        assert store.info().model == "m"
        assert store.count() >= len(acknowledged)
        got = {str(r.id): r.payload["n"] for r in store.retrieve([point_id(str(i)) for i in acknowledged])}
        assert got == {point_id(str(i)): i for i in acknowledged}

"""Ray Data batch embedding vs ``mmretrieval index`` on the same folder and machine: images/s, same points.

    python eval/bench_ray_index.py /work/shared/data/flickr8k/images --limit 400 --actors 1

Both write into fresh embedded stores with the same model (default: the shipped default). ``index`` runs in
this process; ``ray_index`` starts a local Ray cluster (``--cpus``, default all) and its time includes the
cluster start and the actors loading the model: that is what a user waits for. Prints one JSON object,
including whether both wrote the same ids.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--limit", type=int, default=400, help="first N images (sorted) of the folder")
    parser.add_argument("--model", default="e5-small-lite0")
    parser.add_argument("--actors", type=int, default=1)
    parser.add_argument("--cpus", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    import ray

    from mmretrieval import load_model
    from mmretrieval.distributed.ray_index import ray_index
    from mmretrieval.indexing import Index
    from mmretrieval.store import VectorStore

    work = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    photos = work / "photos"
    photos.mkdir()
    for path in sorted(Path(args.folder).glob("*.jpg"))[: args.limit]:
        os.symlink(path.resolve(), photos / path.name)
    try:
        started = time.perf_counter()
        model = load_model(args.model, device="cpu")
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        with Index.open(path=str(work / "index"), model=model) as index:
            report = index.add_images([str(photos)], batch_size=args.batch_size, show_progress_bar=False)
        index_s = time.perf_counter() - started

        started = time.perf_counter()
        ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
        init_s = time.perf_counter() - started
        done = ray_index([str(photos)], model=args.model, store=str(work / "ray"), batch_size=args.batch_size,
                         actors=args.actors)
        ray_s = time.perf_counter() - started
        ray.shutdown()

        def ids(folder):
            with VectorStore(path=str(folder)) as store:
                return {str(p.id) for p in store.scroll()}

        n = report.added
        print(json.dumps({
            "images": n, "model": args.model, "cpus": os.cpu_count(), "load_average": os.getloadavg()[0],
            "index_s": round(index_s, 1), "index_images_per_s": round(n / index_s, 2),
            "index_model_load_s": round(load_s, 1),
            "ray_total_s": round(ray_s, 1), "ray_images_per_s": round(done.written / ray_s, 2),
            "ray_init_s": round(init_s, 1), "ray_actors": args.actors,
            "ray_vs_index_speed": round((done.written / ray_s) / (n / index_s), 2),
            "same_ids": ids(work / "index") == ids(work / "ray"),
        }, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

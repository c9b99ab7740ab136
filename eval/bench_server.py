"""Bounded load test of ``mmretrieval serve`` on loopback: N concurrent clients, M mixed requests.

Indexes the photos in assets/ (and README.md as text passages) into a temporary embedded store,
starts the real server (``mmretrieval serve``) as a subprocess on 127.0.0.1, then fires a fixed,
seeded mix of requests (text search, image upload search, similar, thumbnails, full images, RAG,
health) from ``--clients`` concurrent async clients. Prints errors and p50/p99 latency per kind
and overall, and writes them as JSON. The server's resident memory (RSS, from /proc) is sampled idle
after one request of each kind, after each of ``--rounds`` runs of the same load, and after ``--settle``
idle seconds: growth that stops after the first round is a bound, growth on every round a leak.

    python eval/bench_server.py                       # 20 clients, 1,000 requests, default model
    python eval/bench_server.py --model minilm-l6-lite0 --untrained --requests 200
    python eval/bench_server.py --clients 16 --requests 1600 --rounds 3   # memory under repeated load
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ("a rocket launching into the sky", "a cat lying on a couch", "a cup of coffee on a saucer",
           "an astronaut in a flight suit", "a man with a camera on a tripod", "a photo of an animal",
           "something hot to drink", "space travel", "black and white photo", "a pet indoors")
QUESTIONS = ("what does the index contain?", "how do I search by image?", "which photo shows a launch?",
             "how are captions stored?")
# kind -> share of the requests
MIX = {"search": 0.35, "similar": 0.15, "thumb": 0.2, "image": 0.05, "upload": 0.08, "rag": 0.1, "health": 0.07}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--model", default=None, help="model name or folder (default: the shipped default)")
    parser.add_argument("--untrained", action="store_true", help="use the architecture with an untrained adapter")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--photo-side", type=int, default=None, metavar="PX",
                        help="index (and upload) the assets/ photos enlarged to this long side, as a camera's are "
                             "(4000: 12 MP; default: as they are, 451-640 px)")
    parser.add_argument("--kinds", default=",".join(MIX),
                        help="request kinds to send (default: all, as MIX weighs them)")
    parser.add_argument("--rounds", type=int, default=1, help="run the same load this many times (RSS after each)")
    parser.add_argument("--settle", type=float, default=5.0, help="idle seconds before the last RSS sample")
    parser.add_argument("--out", default=str(ROOT / "runs" / "bench_server.json"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mmretrieval-bench-") as tmp:
        store = Path(tmp) / "store"
        photos = enlarged(Path(tmp) / "photos", args.photo_side) if args.photo_side else ROOT / "assets"
        model_folder = build_index(store, args.model, args.untrained, Path(tmp) / "model", photos)
        port = free_port()
        cmd = [sys.executable, "-m", "mmretrieval.cli.main", "serve", "--store", str(store), "--port", str(port),
               "--model", model_folder]
        server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base, server)
            mix = {kind: MIX[kind] for kind in args.kinds.split(",")}
            asyncio.run(load(base, 1, len(MIX) * 3, args.seed, MIX, photos))  # every kind once or so: warm
            memory = {"idle": server_memory(server.pid)}
            for round in range(args.rounds):
                result = asyncio.run(load(base, args.clients, args.requests, args.seed, mix, photos))
                memory[f"after_round_{round + 1}"] = server_memory(server.pid)
                print(f"round {round + 1}: {result['errors']} errors, {result['wall_s']} s, RSS {memory}")
            time.sleep(args.settle)
            memory[f"after_{args.settle:g}s_idle"] = server_memory(server.pid)
            result["memory"] = memory
        finally:
            server.terminate()
            server.wait(20)
    result.update(clients=args.clients, requests=args.requests, model=model_folder, cpus=os.cpu_count(),
                  photo_side=args.photo_side, kinds=args.kinds, rounds=args.rounds)
    report(result)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 1 if result["errors"] else 0


def enlarged(folder: Path, side: int) -> Path:
    """The assets/ photos resized to ``side`` px on their long side, as JPEGs in ``folder``."""
    from PIL import Image

    folder.mkdir(parents=True)
    for path in sorted((ROOT / "assets").glob("*.jpg")):
        image = Image.open(path).convert("RGB")
        scale = side / max(image.size)
        image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS).save(
            folder / path.name, quality=90)
    return folder


def build_index(store: Path, model_name, untrained: bool, model_dir: Path, photos: Path) -> str:
    """Index the photos + README.md; return a model reference the server process can load the same way."""
    from mmretrieval import load_model
    from mmretrieval.indexing import Index

    model = load_model(model_name, pretrained=not untrained)
    reference = str(model.save(model_dir)) if untrained else (model_name or model.config.name)
    with Index.open(path=str(store), model=model) as index:
        index.add_images(photos, show_progress_bar=False)
        index.add_texts([ROOT / "README.md"], show_progress_bar=False)
        print(f"indexed {index.count('image')} images and {index.count('text')} passages with {reference}")
    return reference


def server_memory(pid: int) -> dict:
    """The server process's resident memory (MiB) and thread count, from /proc (Linux)."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {"rss_mib": round(int(status["VmRSS"].split()[0]) / 1024, 1), "threads": int(status["Threads"])}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, server: subprocess.Popen, timeout: float = 180) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}:\n{server.stdout.read()}")
        try:
            if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("server did not come up in time")


def plan(base: str, ids: list[str], n: int, seed: int, mix: dict, photos: Path) -> list[tuple[str, dict]]:
    """A seeded list of (kind, httpx request kwargs)."""
    rng = random.Random(seed)
    upload = (photos / "cat.jpg").read_bytes()
    kinds = rng.choices(list(mix), weights=list(mix.values()), k=n)
    requests = []
    for kind in kinds:
        if kind == "search":
            req = {"method": "GET", "url": base + "/api/search", "params": {"q": rng.choice(QUERIES), "limit": 12}}
        elif kind == "similar":
            req = {"method": "GET", "url": f"{base}/api/similar/{rng.choice(ids)}", "params": {"limit": 12}}
        elif kind == "thumb":
            req = {"method": "GET", "url": f"{base}/api/thumb/{rng.choice(ids)}", "params": {"size": 256}}
        elif kind == "image":
            req = {"method": "GET", "url": f"{base}/api/image/{rng.choice(ids)}"}
        elif kind == "upload":
            req = {"method": "POST", "url": base + "/api/search/image", "files": {"file": ("cat.jpg", upload, "image/jpeg")}}
        elif kind == "rag":
            req = {"method": "POST", "url": base + "/api/rag", "json": {"question": rng.choice(QUESTIONS)}}
        else:
            req = {"method": "GET", "url": base + "/api/health"}
        requests.append((kind, req))
    return requests


async def load(base: str, clients: int, n: int, seed: int, mix: dict, photos: Path) -> dict:
    import httpx

    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=clients)) as client:
        hits = (await client.get(base + "/api/search", params={"q": "a photo", "limit": 100})).json()["hits"]
        queue = asyncio.Queue()
        for item in plan(base, [h["id"] for h in hits], n, seed, mix, photos):
            queue.put_nowait(item)
        samples, errors = [], []

        async def worker():
            while not queue.empty():
                kind, req = queue.get_nowait()
                start = time.perf_counter()
                try:
                    response = await client.request(**req)
                    ok = response.status_code == 200
                    detail = f"HTTP {response.status_code}: {response.text[:200]}"
                except httpx.HTTPError as err:
                    ok, detail = False, repr(err)
                samples.append((kind, time.perf_counter() - start))
                if not ok:
                    errors.append({"kind": kind, "detail": detail})

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - start
    by_kind = {kind: [t for k, t in samples if k == kind] for kind in MIX}
    return {
        "errors": len(errors), "error_examples": errors[:5], "wall_s": round(wall, 2),
        "throughput_rps": round(len(samples) / wall, 1),
        "overall": stats([t for _, t in samples]),
        "by_kind": {kind: stats(times) for kind, times in by_kind.items() if times},
    }


def stats(times: list[float]) -> dict:
    ms = np.asarray(times) * 1000
    return {"n": int(ms.size), "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p99_ms": round(float(np.percentile(ms, 99)), 1), "max_ms": round(float(ms.max()), 1)}


def report(result: dict) -> None:
    print(f"{result['requests']} requests from {result['clients']} concurrent clients on {result['cpus']} CPUs, "
          f"model {result['model']}: {result['errors']} errors, {result['wall_s']} s, {result['throughput_rps']} req/s")
    print(f"{'kind':10s} {'n':>5s} {'p50 ms':>8s} {'p99 ms':>8s} {'max ms':>8s}")
    for kind, s in [*result["by_kind"].items(), ("overall", result["overall"])]:
        print(f"{kind:10s} {s['n']:5d} {s['p50_ms']:8.1f} {s['p99_ms']:8.1f} {s['max_ms']:8.1f}")
    for example in result["error_examples"]:
        print("error:", example)
    for when, sample in result.get("memory", {}).items():
        print(f"RSS {when:18s} {sample['rss_mib']:8.1f} MiB, {sample['threads']} threads")


if __name__ == "__main__":
    sys.exit(main())

"""Which runtime and precision for the image trunk: torch, OpenVINO float32, OpenVINO int8 (NNCF), measured.

On Flickr8k *test* (1,000 photos, 5,000 captions), in one run: trunk images/s on pre-decoded pixels
(same threads), each variant's flip-averaged features' cosine to torch's, and retrieval R@1/5/10 both
ways with each variant's image features (same adapter, same caption embeddings). int8 is NNCF
post-training quantisation of the exported OpenVINO trunk, calibrated on Flickr8k *train* photos
(both views).

    pip install "nncf>=3.4,<4"
    python eval/bench_runtimes.py [--model e5-small-lite0] [--calibration 300] [--speed-images 128]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path

import torch

from mmretrieval import DEFAULT_MODEL, load_model
from mmretrieval.encoding import pixel_batches
from mmretrieval.train.data import load_pairs
from mmretrieval.train.features import pair_features
from mmretrieval.train.loop import evaluate_features
from mmretrieval.vision.views import VIEWS, average_views, view_pixels
from script_args import add_data

RESULTS = Path(__file__).resolve().parent / "results"


def decoded(model, images, batch_size=32):
    for _, pixels, _ in pixel_batches(model.preprocess, images, batch_size, workers=2):
        if pixels is not None:
            yield pixels


def quantised(model_xml: Path, model, calibration: list, preset: str):
    import nncf
    import openvino as ov

    batches = [view_pixels(p, v).numpy() for p in decoded(model, calibration, 8) for v in VIEWS]
    return nncf.quantize(ov.Core().read_model(str(model_xml)), nncf.Dataset(batches), subset_size=len(batches) * 8,
                         preset=getattr(nncf.QuantizationPreset, preset.upper()))


def openvino_forward(ov_model, threads: int):
    import openvino as ov

    config = {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"}
    compiled = ov.Core().compile_model(ov_model, "CPU", config)
    return lambda pixels: torch.from_numpy(compiled(pixels.numpy())[0].copy())


def features(forward, model, images) -> torch.Tensor:
    """Flip-averaged pooled features, the way the model combines its two views."""
    rows = []
    with torch.inference_mode():
        for pixels in decoded(model, images):
            both = forward(torch.cat([view_pixels(pixels, v) for v in VIEWS]))
            rows.append(average_views(*both.split(len(pixels))))
    return torch.cat(rows)


def images_per_s(forward, pixels: list) -> float:
    with torch.inference_mode():
        forward(pixels[0])  # warm up
        start = time.perf_counter()
        for batch in pixels:
            forward(batch)
    return sum(len(b) for b in pixels) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    add_data(parser)
    parser.add_argument("--calibration", type=int, default=300, help="train photos (x2 views) to calibrate on")
    parser.add_argument("--preset", default="performance", choices=("performance", "mixed"),
                        help="NNCF preset: symmetric (performance) or asymmetric (mixed) activations")
    parser.add_argument("--speed-images", type=int, default=128)
    args = parser.parse_args()
    model = load_model(args.model, device="cpu", runtime="openvino")
    threads = torch.get_num_threads()
    fp32_xml = model.trunk.compiled.exported()
    calibration = load_pairs(args.data, split="train").images[: args.calibration]
    start = time.perf_counter()
    int8 = quantised(fp32_xml, model, calibration, args.preset)
    quantise_s = time.perf_counter() - start
    forwards = {"torch": model.trunk.torch_forward, "openvino_fp32": openvino_forward(str(fp32_xml), threads),
                "openvino_int8": openvino_forward(int8, threads)}

    test = pair_features(model, load_pairs(args.data, split="test"), show_progress_bar=True)  # captions (cached)
    speed_pixels = list(decoded(model, test.pairs.images[: args.speed_images]))
    rates = {name: images_per_s(forward, speed_pixels) for name, forward in forwards.items()}
    pooled = {name: features(forward, model, test.pairs.images) for name, forward in forwards.items()}
    cosine = {name: torch.nn.functional.cosine_similarity(rows, pooled["torch"], dim=-1) for name, rows in pooled.items()}
    recall = {name: evaluate_features(model, dataclasses.replace(test, pooled=rows)) for name, rows in pooled.items()}
    result = {"model": args.model, "threads": threads, "calibration_images": len(calibration), "preset": args.preset,
              "quantise_s": round(quantise_s, 1),
              "trunk_images_per_s": {k: round(v, 1) for k, v in rates.items()},
              "speedup_vs_torch": {k: round(v / rates["torch"], 2) for k, v in rates.items()},
              "cosine_to_torch": {k: {"min": round(float(c.min()), 5), "mean": round(float(c.mean()), 5)}
                                  for k, c in cosine.items()},
              "recall": recall, "load_average": os.getloadavg()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"runtimes_{args.model}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "recall"}, indent=1))
    for name, r in recall.items():
        rsum = sum(v for k, v in r.items() if "R@" in k)
        print(f"{name:>14}: " + "  ".join(f"{k} {v:.1f}" for k, v in r.items()) + f"  rsum {rsum:.1f}")


if __name__ == "__main__":
    main()

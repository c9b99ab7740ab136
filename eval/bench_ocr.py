"""Compare OCR engines on the text-rich VQA images: word recall/precision and seconds per image, one run.

Ground truth is the text each image was rendered from (``questions.jsonl`` of
``eval/build_text_rich_vqa.py``). Words are lower-cased runs of letters and digits; recall is the
share of the rendered words the engine read (as a multiset), precision the share of what it read
that was rendered. Engines that are not installed are listed as skipped.

    python eval/build_text_rich_vqa.py --out eval/data/text-rich-vqa
    python eval/bench_ocr.py eval/data/text-rich-vqa --every 4 --out eval/results/ocr_engines.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import time
from collections import Counter
from importlib import metadata
from pathlib import Path


def words(text: str) -> Counter:
    return Counter(re.findall(r"[a-z0-9]+", text.lower()))


def rapidocr3():
    from rapidocr import RapidOCR

    engine = RapidOCR(params={"Global.log_level": "error"})
    return lambda path: " ".join(engine(path).txts or ())


def rapidocr_onnxruntime():
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR()
    return lambda path: " ".join(line[1] for line in (engine(path)[0] or ()))


def tesseract():
    import pytesseract

    pytesseract.get_tesseract_version()  # raises without the tesseract binary
    return lambda path: pytesseract.image_to_string(path)


def tesseract_version() -> str:
    import pytesseract

    return f"tesseract {pytesseract.get_tesseract_version()} (pytesseract {metadata.version('pytesseract')})"


ENGINES = {"rapidocr": (rapidocr3, "rapidocr"), "rapidocr-onnxruntime": (rapidocr_onnxruntime, "rapidocr-onnxruntime"),
           "tesseract": (tesseract, None)}


def score(read: str, truth: str) -> tuple[int, int, int]:
    got, want = words(read), words(truth)
    common = sum((got & want).values())
    return common, sum(want.values()), sum(got.values())


def bench(folder: Path, every: int, names) -> dict:
    rows = [json.loads(line) for line in (folder / "questions.jsonl").read_text().splitlines()][::every]
    out = {"images": len(rows), "every": every, "cpus": os.cpu_count(), "load_before": os.getloadavg()[0],
           "machine": platform.machine(), "engines": {}}
    for name in names:
        make, package = ENGINES[name]
        try:
            started = time.perf_counter()
            read = make()
            version = metadata.version(package) if package else tesseract_version()
            read(str(folder / rows[0]["image"]))  # warm-up (model load, first session run), not timed
            init_s = time.perf_counter() - started
        except Exception as err:  # noqa: BLE001 (a missing engine is a result here)
            out["engines"][name] = {"skipped": f"{type(err).__name__}: {err}"}
            continue
        by_type: dict[str, list] = {}
        started = time.perf_counter()
        for row in rows:
            by_type.setdefault(row["type"], []).append(score(read(str(folder / row["image"])), row["text"]))
        seconds = time.perf_counter() - started
        totals = [sum(x) for x in zip(*(s for v in by_type.values() for s in v))]
        out["engines"][name] = {
            "version": version, "init_s": round(init_s, 2), "s_per_image": round(seconds / len(rows), 3),
            "word_recall": round(100 * totals[0] / totals[1], 2), "word_precision": round(100 * totals[0] / max(totals[2], 1), 2),
            "word_recall_by_type": {t: round(100 * sum(s[0] for s in v) / sum(s[1] for s in v), 2)
                                    for t, v in sorted(by_type.items())},
        }
        print(name, out["engines"][name], flush=True)
    out["load_after"] = os.getloadavg()[0]
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--every", type=int, default=4, help="bench every n-th image (default 4)")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    result = bench(args.folder, args.every, args.engines.split(","))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

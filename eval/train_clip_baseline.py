"""Train a small CLIP from scratch on Flickr8k train with open_clip's own model and loss (ClipLoss).

The honest offline baseline: no pretrained CLIP weights are reachable here, so this is what CLIP's
recipe buys with the same data and a CPU budget comparable to training our adapter: a fixed budget of
process CPU-seconds (all threads; 600 = 5 minutes of 2 dedicated cores), so a busy shared machine does
not shrink it, with the learning rate on a cosine over that budget. Writes ``<out>/mmr-clip-flickr8k.json`` (the architecture, registered with
``open_clip.add_model_config``), ``<out>/checkpoint.pt`` and ``<out>/train_log.json``; evaluate with
``OpenCLIPModel("mmr-clip-flickr8k", pretrained="<out>/checkpoint.pt")`` after registering the config.

    python eval/train_clip_baseline.py --data-root ../shared/data --budget-cpu-s 600
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

NAME = "mmr-clip-flickr8k"
ARCH = {
    "embed_dim": 256,
    "vision_cfg": {"image_size": 64, "layers": 3, "width": 128, "head_width": 32, "patch_size": 16},
    "text_cfg": {"context_length": 24, "vocab_size": 49408, "width": 128, "heads": 4, "layers": 2},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", default="../shared/data", help="folder holding flickr8k/")
    parser.add_argument("--out", default="runs/clip-flickr8k", help="output folder")
    parser.add_argument("--budget-cpu-s", type=float, default=600.0,
                        help="training budget in process CPU-seconds (all threads together)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import open_clip

    from mmretrieval.train.data import load_pairs
    from mmretrieval.images import load_image

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    config_file = out / f"{NAME}.json"
    config_file.write_text(json.dumps(ARCH, indent=2) + "\n")
    open_clip.add_model_config(config_file)  # registered under the file stem, NAME
    model, _, preprocess = open_clip.create_model_and_transforms(NAME)
    tokenizer = open_clip.get_tokenizer(NAME)

    started = time.perf_counter()
    pairs = load_pairs(Path(args.data_root) / "flickr8k", split="train")
    pixels = torch.stack([preprocess(load_image(p)) for p in tqdm(pairs.images, desc="decode train images")])
    tokens = tokenizer(pairs.captions)
    captions_of = [[] for _ in pairs.images]
    for t, image in enumerate(pairs.image_index):
        captions_of[image].append(t)
    prepared = time.perf_counter() - started

    loss_fn = open_clip.ClipLoss()
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "logit_scale" not in n]
    rest = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "logit_scale" not in n)]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                                  lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    model.train()
    step, epoch, losses, warmup = 0, 0, [], 50
    train_start, cpu_start = time.perf_counter(), time.process_time()
    bar = tqdm(desc="train", unit="step")
    while time.process_time() - cpu_start < args.budget_cpu_s:
        order = torch.randperm(len(pairs.images))
        for start in range(0, len(order) - args.batch_size + 1, args.batch_size):
            spent = time.process_time() - cpu_start
            if spent >= args.budget_cpu_s:
                break
            lr = args.lr * min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * spent / args.budget_cpu_s))
            for group in optimizer.param_groups:
                group["lr"] = lr
            idx = order[start : start + args.batch_size]
            images = pixels[idx]
            images = torch.where(torch.rand(len(idx), 1, 1, 1) < 0.5, images.flip(-1), images)  # h-flip
            texts = tokens[[random.choice(captions_of[i]) for i in idx.tolist()]]
            image_features, text_features, logit_scale = model(images, texts)[:3]
            loss = loss_fn(image_features, text_features, logit_scale)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, math.log(100))
            losses.append(float(loss))
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}", epoch=epoch)
        epoch += 1
    bar.close()
    model.eval()
    torch.save({"state_dict": model.state_dict()}, out / "checkpoint.pt")
    log = {
        "architecture": NAME, "arch": ARCH, "budget_cpu_s": args.budget_cpu_s, "threads": args.threads,
        "prepare_wall_s": round(prepared, 1), "train_wall_s": round(time.perf_counter() - train_start, 1),
        "train_cpu_s": round(time.process_time() - cpu_start, 1),
        "steps": step, "epochs_started": epoch, "images_seen": step * args.batch_size,
        "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed,
        "train_images": len(pairs.images), "train_captions": len(pairs.captions),
        "loss_first_20": round(float(np.mean(losses[:20])), 4), "loss_last_20": round(float(np.mean(losses[-20:])), 4),
        "params": sum(p.numel() for p in model.parameters()),
    }
    (out / "train_log.json").write_text(json.dumps(log, indent=2) + "\n")
    print(json.dumps(log, indent=2))


if __name__ == "__main__":
    main()

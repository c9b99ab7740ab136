"""Short Chinese queries, typed as users type them, with and without the Chinese query map.

    python eval/short_queries_zh.py [MODEL] [--data ../shared/data/flickr8k]

27 queries of 1-7 characters, written for this check (not taken from any caption), for the five
``assets/`` photos and twelve Flickr8k dev photos. Each ranks one gallery: the 1,000 dev images plus the
five assets (1,005 photos); a query counts when its photo is in the top 5 (and top 1). "without" is the
model with its Chinese map removed (its other maps kept), "with" the model as it is (the same ranking when
it has no Chinese map). Photos are ranked as search ranks them: conditioned by the model's query bank when
it has one. Writes eval/results/short_queries_zh_MODEL.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from mmretrieval import load_model
from mmretrieval.languages.fit_captions import image_vectors
from mmretrieval.languages.detect import detect_languages
from mmretrieval.search.conditioning import conditioned_scores
from mmretrieval.train.data import load_pairs
from script_args import model_parser

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "eval" / "results"
QUERIES = {  # photo -> queries; assets/ first, then Flickr8k dev photos (their English caption in the comment)
    "cat.jpg": ["猫", "一只猫"],
    "coffee.jpg": ["咖啡", "一杯咖啡"],
    "astronaut.jpg": ["宇航员"],
    "rocket.jpg": ["火箭", "火箭发射"],
    "camera.jpg": ["摄影师", "相机"],
    "1526325728_74eb4153d8.jpg": ["海滩上的狗", "沙滩 狗"],  # a grey dog walks in wet sand at a beach
    "1579206585_5ca6a24db0.jpg": ["弹吉他的女孩", "电吉他"],  # a girl playing an electric guitar
    "1691573772_1adef8e40e.jpg": ["骑自行车的人", "骑车的女孩"],  # a girl riding a bicycle in traffic
    "1680126311_b92a2e8e72.jpg": ["踢足球的男孩"],  # a boy hitting a soccer ball with his chest
    "2135502491_a15c6b5eae.jpg": ["雪地里奔跑的狗"],  # a St Bernard running in the snow
    "2198511848_311d8a8c2f.jpg": ["滑雪板跳跃"],  # a man jumps off a ramp on a snowboard
    "236730743_0d4fd8de5a.jpg": ["日落划船", "划船"],  # a man paddling a boat during a sunset
    "1306145560_1e37081b91.jpg": ["游泳的黑狗"],  # a black dog swims with a ball in its mouth
    "2374247382_023a86b9ca.jpg": ["木马"],  # a child rides a wooden horse
    "1478268555_7e301fc510.jpg": ["攀岩"],  # a climber on a rock face
    "2185793891_5a5e903ca6.jpg": ["哭的宝宝"],  # a baby cries in a woman's arms
    "166433861_70b66cd381.jpg": ["摩托车比赛"],  # a motorcycle racer leans his bike
}


def main() -> None:
    args = model_parser(__doc__).parse_args()
    model = load_model(args.model, device="cpu")
    dev = [Path(p).name for p in load_pairs(args.data, split="dev").images]
    vectors = {**image_vectors(model, dev, args.data / "images"), **image_vectors(model, list(QUERIES)[:5], ROOT / "assets")}
    names = sorted(vectors)
    gallery = torch.nn.functional.normalize(torch.stack([vectors[n] for n in names]), dim=-1).numpy()
    queries = [(photo, q) for photo, texts in QUERIES.items() for q in texts]
    texts = [q for _, q in queries]
    plain = model.encode_text(texts, convert_to_tensor=True)
    with_map = model.image_queries(texts, plain)
    maps = model.query_maps.maps if model.query_maps is not None else {}
    if "zh" not in maps:
        print(f"{args.model} has no Chinese query map: 'with' and 'without' are the same ranking")
    model.set_query_maps({lang: m for lang, m in maps.items() if lang != "zh"})
    without = model.image_queries(texts, plain)
    hubness = model.bank.hubness(gallery) if model.bank is not None else None  # ranked as search ranks photos
    scores = {}
    for kind, v in (("without", without), ("with", with_map)):
        cosines = torch.nn.functional.normalize(v.float(), dim=-1).numpy() @ gallery.T
        scores[kind] = cosines if hubness is None else conditioned_scores(cosines, hubness, model.bank.weight)
    rows = []
    for i, ((photo, text), (lang, _)) in enumerate(zip(queries, detect_languages(texts))):
        ranks = {kind: int((score[i] > score[i, names.index(photo)]).sum()) + 1 for kind, score in scores.items()}
        rows.append({"photo": photo, "query": text, "detected": lang, "rank": ranks})
    summary = {kind: {"top1": sum(r["rank"][kind] == 1 for r in rows), "top5": sum(r["rank"][kind] <= 5 for r in rows)}
               for kind in ("without", "with")}
    assets = set(list(QUERIES)[:5])
    for part, picked in (("assets", [r for r in rows if r["photo"] in assets]),
                         ("flickr8k dev", [r for r in rows if r["photo"] not in assets])):
        summary[part] = {kind: sum(r["rank"][kind] <= 5 for r in picked) for kind in ("without", "with")}
    result = {"model": args.model, "gallery": len(names), "queries": len(rows), "conditioned": hubness is not None,
              "summary": summary, "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"short_queries_zh_{Path(args.model).name}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    for r in rows:
        print(f"{r['query']:<8} {r['photo']:<28} detected {r['detected']}: rank {r['rank']['without']} -> {r['rank']['with']}")
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Build the text-rich visual-QA set: real text rendered into signs, slides and document pages.

No DocVQA/ViDoRe copy is reachable here, so the set is made, reproducibly (fixed seed), from text
that ships with Python itself: the reference-manual topics in the standard library's
``pydoc_data.topics`` (the Python documentation, PSF License 2.0). Nothing is written by hand
but the question templates. Each image shows one piece of that text:

- ``sign``: one short sentence on a coloured plate, pasted onto a photo from ``assets/`` (public
  domain, docs/ASSETS.md), rotated and blurred like a snapshot;
  question: ``Which sign says "<the sentence>"?``, answer: the sentence;
- ``slide``: a topic's title and three sentences as bullets on a 16:9 slide;
  question: one bullet, asked as ``Which slide says that <bullet>?``, answer: the title;
- ``document``: a paragraph on a paper page, photographed (tilt, shadow, noise, JPEG);
  question: an 8-12 word span from inside it, ``Which page contains the words "<span>"?``,
  answer: the sentence holding the span.

Fonts come from what is installed with the package: matplotlib's bundled DejaVu and STIX fonts and
Pillow's built-in Aileron, at several sizes and styles. Every image has its own text, so each
question has one right image.

    python eval/build_text_rich_vqa.py --out eval/data/text-rich-vqa      # ~250 images, ~1 min
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import sys
import textwrap
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = sorted((ROOT / "assets").glob("*.jpg"))
SEED = 15


def fonts() -> list:
    """``(name, loader(size))`` for every bundled font family and style used."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    names = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSerif.ttf",
             "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf",
             "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf"]
    found = [(n, lambda size, p=str(folder / n): ImageFont.truetype(p, size)) for n in names if (folder / n).is_file()]
    found.append(("Pillow-Aileron", lambda size: ImageFont.load_default(size)))
    return found


def source_sentences() -> dict:
    """``{topic title: [paragraphs of prose]}`` from ``pydoc_data.topics`` (code and grammar dropped)."""
    from pydoc_data.topics import topics

    out = {}
    for key in sorted(topics):
        lines = topics[key].splitlines()
        title = lines[0].strip() if lines else key
        paragraphs = []
        for block in re.split(r"\n\s*\n", topics[key]):
            rows = block.splitlines()
            if not rows or any(r.startswith((" ", "\t")) for r in rows) or re.fullmatch(r"[*=\-^]+", rows[-1].strip()):
                continue  # code, grammar, tables or a heading
            text = " ".join(r.strip() for r in rows)
            if re.search(r"[|*\\]{1}|\.\.\.|::", text) or len(text.split()) < 8:
                continue
            paragraphs.append(text)
        if paragraphs and 3 <= len(title) <= 40:
            out[title] = paragraphs
    return out


def sentences_of(paragraph: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"])", paragraph) if s.endswith((".", "!", "?"))]


def background(rng: random.Random, size) -> Image.Image:
    """A photo crop from assets/, a gradient or a noisy paper tone."""
    w, h = size
    pick = rng.random()
    if pick < 0.5 and PHOTOS:
        photo = Image.open(rng.choice(PHOTOS)).convert("RGB")
        scale = max(w / photo.width, h / photo.height) * rng.uniform(1.0, 1.6)
        photo = photo.resize((int(photo.width * scale) + 1, int(photo.height * scale) + 1))
        x, y = rng.randint(0, photo.width - w), rng.randint(0, photo.height - h)
        return photo.crop((x, y, x + w, y + h)).filter(ImageFilter.GaussianBlur(rng.uniform(0, 2.5)))
    top = np.array([rng.randint(40, 255) for _ in range(3)], np.float32)
    bottom = np.array([rng.randint(40, 255) for _ in range(3)], np.float32)
    ramp = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    pixels = top * (1 - ramp) + bottom * ramp + np.random.default_rng(rng.randint(0, 2**31)).normal(0, 6, (h, w, 3))
    return Image.fromarray(np.clip(np.broadcast_to(pixels, (h, w, 3)), 0, 255).astype(np.uint8))


def contrast_colours(rng: random.Random):
    dark = tuple(rng.randint(0, 70) for _ in range(3))
    light = tuple(rng.randint(190, 255) for _ in range(3))
    return (light, dark) if rng.random() < 0.6 else (dark, light)


def draw_lines(draw, lines, font, xy, fill, spacing=1.25):
    x, y = xy
    for line in lines:
        draw.text((x, y), line, font=font, fill=fill)
        y += int(font.size * spacing)
    return y


def sign(rng, text, font) -> Image.Image:
    plate_colour, ink = contrast_colours(rng)
    lines = textwrap.wrap(text, width=rng.randint(16, 26))
    size = rng.randint(22, 34)
    face = font(size)
    width = max(int(face.getlength(line)) for line in lines) + 2 * size
    plate = Image.new("RGB", (width, int(len(lines) * size * 1.3) + 2 * size), plate_colour)
    draw = ImageDraw.Draw(plate)
    draw.rectangle((4, 4, plate.width - 5, plate.height - 5), outline=ink, width=3)
    draw_lines(draw, lines, face, (size, size), ink, 1.3)
    plate = plate.rotate(rng.uniform(-12, 12), expand=True, resample=Image.BICUBIC, fillcolor=(0, 0, 0, 0)) \
        if rng.random() < 0.7 else plate
    canvas = background(rng, (max(640, plate.width + 40), max(480, plate.height + 40)))
    mask = Image.new("L", plate.size, 255) if plate.mode == "RGB" else None
    if plate.getbbox() and rng.random() < 0.7:  # the rotated corners show the photo through
        mask = plate.convert("L").point(lambda v: 255 if v > 0 else 0)
    canvas.paste(plate, (rng.randint(0, canvas.width - plate.width), rng.randint(0, canvas.height - plate.height)), mask)
    return canvas


def slide(rng, title, bullets, font) -> Image.Image:
    paper, ink = contrast_colours(rng)
    canvas = Image.new("RGB", (960, 540), paper) if rng.random() < 0.6 else background(rng, (960, 540))
    draw = ImageDraw.Draw(canvas)
    if canvas.getpixel((5, 5)) != paper:  # a photo or gradient behind: a panel keeps the text readable
        draw.rectangle((30, 25, 930, 515), fill=paper)
    y = draw_lines(draw, [title], font(rng.randint(34, 44)), (60, 45), ink) + 20
    face = font(rng.randint(20, 26))
    for bullet in bullets:
        wrapped = textwrap.wrap(bullet, width=int(900 / (face.size * 0.55)))
        draw.text((60, y), "\u2022", font=face, fill=ink)
        y = draw_lines(draw, wrapped, face, (90, y), ink) + 12
    return canvas


def document(rng, paragraph, font) -> Image.Image:
    size = rng.randint(16, 22)
    face = font(size)
    lines = textwrap.wrap(paragraph, width=int(560 / (size * 0.55)))
    page = Image.new("RGB", (640, int(len(lines) * size * 1.4) + 120), tuple(rng.randint(225, 255) for _ in range(3)))
    draw_lines(ImageDraw.Draw(page), lines, face, (40, 60), tuple(rng.randint(0, 60) for _ in range(3)), 1.4)
    shade = np.linspace(1.0, rng.uniform(0.7, 1.0), page.width, dtype=np.float32)[None, :, None]  # a shadow
    page = Image.fromarray((np.asarray(page, np.float32) * shade).astype(np.uint8))
    page = page.rotate(rng.uniform(-6, 6), expand=True, resample=Image.BICUBIC, fillcolor=(60, 55, 50))
    canvas = background(rng, (page.width + 60, page.height + 60))
    canvas.paste(page, (30, 30))
    return canvas


def photographed(rng, image: Image.Image) -> bytes:
    """Blur, sensor noise and JPEG compression, as a phone photo would add."""
    if rng.random() < 0.6:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.3)))
    pixels = np.asarray(image, np.float32)
    pixels = pixels * rng.uniform(0.8, 1.1) + np.random.default_rng(rng.randint(0, 2**31)).normal(
        0, rng.uniform(0, 10), pixels.shape)
    out = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=rng.randint(55, 92))
    return out.getvalue()


def build(out: Path, per_kind: int) -> list[dict]:
    rng = random.Random(SEED)
    faces = fonts()
    topics = source_sentences()
    titles = sorted(topics)
    short = sorted({s for t in titles for p in topics[t] for s in sentences_of(p) if 6 <= len(s.split()) <= 14})
    paragraphs = sorted({p for t in titles for p in topics[t] if 35 <= len(p.split()) <= 80})
    rng.shuffle(short)
    rng.shuffle(paragraphs)
    used = set(short[:per_kind])
    slides = []  # a topic's prose in groups of three bullets, each group one slide under the topic's title
    for t in titles:
        bullets = [s for p in topics[t] for s in sentences_of(p) if 5 <= len(s.split()) <= 22 and s not in used]
        slides += [(t, bullets[i:i + 3]) for i in range(0, len(bullets) - 2, 3)][:3]
    rng.shuffle(slides)
    slides = [(t, b) for t, b in slides if not used & set(b)][:per_kind]
    used |= {s for _, b in slides for s in b}
    paragraphs = [p for p in paragraphs if not any(s in used for s in sentences_of(p))][:per_kind]
    (out / "images").mkdir(parents=True, exist_ok=True)
    rows = []

    def add(kind, image, question, answer, text, font_name):
        image_id = f"{kind}-{len(rows):03d}"
        (out / "images" / f"{image_id}.jpg").write_bytes(photographed(rng, image))
        rows.append({"image": f"images/{image_id}.jpg", "question": question, "answers": [answer], "type": kind,
                     "text": text, "font": font_name})

    for sentence in short[:per_kind]:
        name, font = rng.choice(faces)
        add("sign", sign(rng, sentence, font), f'Which sign says "{sentence.rstrip(".")}"?', sentence, sentence, name)
    for title, bullets in slides:
        name, font = rng.choice(faces)
        asked = rng.choice(bullets)
        question = f"Which slide says that {asked[0].lower() + asked[1:].rstrip('.')}?"
        add("slide", slide(rng, title, bullets, font), question, title, "\n".join([title, *bullets]), name)
    for paragraph in paragraphs:
        name, font = rng.choice(faces)
        sentence = max(sentences_of(paragraph) or [paragraph], key=len)
        words = sentence.split()
        n = min(len(words), rng.randint(8, 12))
        start = rng.randint(0, len(words) - n)
        span = " ".join(words[start:start + n]).strip(".,;:")
        add("document", document(rng, paragraph, font), f'Which page contains the words "{span}"?', sentence,
            paragraph, name)
    with (out / "questions.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out / "SOURCE.md").write_text(
        f"Built by eval/build_text_rich_vqa.py (seed {SEED}) from pydoc_data.topics of Python "
        f"{sys.version.split()[0]} (the Python reference manual, PSF License 2.0); backgrounds from assets/ "
        "(public domain, docs/ASSETS.md); fonts: matplotlib's DejaVu and STIX, Pillow's Aileron.\n")
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "eval" / "data" / "text-rich-vqa"))
    parser.add_argument("--per-kind", type=int, default=84, help="images of each kind (sign, slide, document)")
    args = parser.parse_args(argv)
    rows = build(Path(args.out), args.per_kind)
    counts = {k: sum(r["type"] == k for r in rows) for k in ("sign", "slide", "document")}
    print(f"wrote {len(rows)} images and questions to {args.out}: {counts}")


if __name__ == "__main__":
    main()

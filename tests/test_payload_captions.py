"""One sidecar rule for indexing and training, one set of image suffixes, one payload schema."""

from mmretrieval.store import payload as P
from mmretrieval.indexing.captions import caption_sidecars, sidecar_captions, sidecar_lines
from mmretrieval.images import image_suffixes, is_image_file
from mmretrieval.train.data import load_pairs


def test_one_sidecar_is_one_caption_to_index_and_one_caption_per_line_to_train(tmp_path):
    (tmp_path / "cat.jpg").write_bytes(b"")
    (tmp_path / "cat.txt").write_text("\ufeffa cat on a sofa\n\n  a sleepy cat  \n")
    (tmp_path / "dog.png").write_bytes(b"")
    (tmp_path / "dog.caption").write_text("a dog\n")  # the second sidecar suffix, for both readers
    (tmp_path / "notes.txt").write_text("no image is called notes")
    cat, dog = str(tmp_path / "cat.jpg"), str(tmp_path / "dog.png")
    assert sidecar_captions([cat, dog]) == {cat: "a cat on a sofa\n\n  a sleepy cat", dog: "a dog"}
    assert sidecar_lines(cat) == ["a cat on a sofa", "a sleepy cat"]
    pairs = load_pairs(tmp_path)
    assert pairs.images == [cat, dog] and pairs.captions == ["a cat on a sofa", "a sleepy cat", "a dog"]
    assert caption_sidecars(p.name for p in tmp_path.iterdir()) == {"cat.txt", "dog.caption"}


def test_image_suffixes_are_what_pil_opens():
    assert {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"} <= image_suffixes()
    assert is_image_file("a/B.JPG") and not is_image_file("a/b.txt") and not is_image_file("a/jpg")


def test_payload_builders_write_the_documented_keys():
    image = P.image_payload("/p/cat.jpg", "h", 10, 1.5, 640, 480, caption="a cat")
    assert list(image) == [P.KIND, P.PATH, P.HASH, P.SIZE, P.WIDTH, P.HEIGHT, P.MTIME, P.CAPTION]
    assert image[P.KIND] == P.KIND_IMAGE and P.CAPTION not in P.image_payload("/p", "h", 1, 0.0, 1, 1, caption="")
    passage = P.passage_payload("/d.md", "h", 10, 1.5, 0, 0, 5, "hello")
    assert passage[P.KIND] == P.KIND_TEXT and (passage[P.START], passage[P.END], passage[P.TEXT]) == (0, 5, "hello")

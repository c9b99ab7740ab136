"""Each dataset loader on tiny files written here, and its errors for bad input."""

import json

import pytest
from PIL import Image

from mmretrieval.evaluation.datasets import (captions, image_folder, list_datasets, load_dataset, multilingual_tsv,
                                             tasks_for, vqa_csv)


def _images(folder, names):
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        Image.new("RGB", (8, 8), (40 * i % 256, 0, 0)).save(folder / name)


def test_flickr8k_token_file_and_split(tmp_path):
    _images(tmp_path / "images", ["a.jpg", "b.jpg", "c.jpg"])
    (tmp_path / "captions.txt").write_text(
        "a.jpg#0\tA dog .\na.jpg#1\tA brown dog .\nb.jpg#0\tA cat .\nc.jpg#0\tA car .\n"
        "b.jpg.1#0\tstray entry with no image\n")
    (tmp_path / "split_test.txt").write_text("b.jpg\na.jpg\n")
    data = captions.load_flickr8k(tmp_path, split="test")
    assert [p.rsplit("/", 1)[1] for p in data.images] == ["a.jpg", "b.jpg"]
    assert data.texts == ["A dog .", "A brown dog .", "A cat ."]
    assert data.text_images == [[0], [0], [1]]
    assert tasks_for(data) == ("retrieval",) and data.info == {"split": "test"}
    with pytest.raises(FileNotFoundError, match="no split list"):
        captions.load_flickr8k(tmp_path, split="dev")


def test_coco_captions_and_karpathy(tmp_path):
    _images(tmp_path / "val2014", ["x.jpg", "y.jpg"])
    (tmp_path / "captions.json").write_text(json.dumps({
        "images": [{"id": 7, "file_name": "x.jpg"}, {"id": 9, "file_name": "y.jpg"}],
        "annotations": [{"image_id": 9, "caption": "two "}, {"image_id": 7, "caption": "one"},
                        {"image_id": 9, "caption": "deux"}]}))
    data = captions.load_coco(tmp_path / "captions.json", tmp_path / "val2014")
    assert data.texts == ["two", "one", "deux"] and data.text_images == [[0], [1], [0]]
    assert data.images[0].endswith("y.jpg")
    (tmp_path / "karpathy.json").write_text(json.dumps({"images": [
        {"filepath": "val2014", "filename": "x.jpg", "split": "test", "sentences": [{"raw": "a"}, {"raw": "b"}]},
        {"filepath": "val2014", "filename": "y.jpg", "split": "restval", "sentences": [{"raw": "c"}]}]}))
    test = captions.load_karpathy(tmp_path / "karpathy.json", tmp_path, split="test")
    assert test.texts == ["a", "b"] and test.text_images == [[0], [0]] and len(test.images) == 1
    assert len(captions.load_karpathy(tmp_path / "karpathy.json", tmp_path, split="train").images) == 1
    with pytest.raises(ValueError, match="splits present"):
        captions.load_karpathy(tmp_path / "karpathy.json", tmp_path, split="val")
    with pytest.raises(ValueError, match="not a COCO captions file"):
        captions.load_coco(tmp_path / "karpathy.json", tmp_path)


def test_image_folder_with_classnames_and_subsample(tmp_path):
    _images(tmp_path / "n01", ["1.jpg", "2.jpg", "3.jpg"])
    _images(tmp_path / "n02", ["1.png"])
    data = image_folder.load(tmp_path, ["a photo of a {}."], {"n02": "dog", "n01": "fish"}, max_per_class=2)
    assert data.classnames == ["dog", "fish"] and data.labels == [0, 1, 1]
    assert data.info == {"max_per_class": 2}
    with pytest.raises(ValueError, match="disagree"):
        image_folder.load(tmp_path, ["{}"], {"n01": "fish"})
    with pytest.raises(ValueError, match="template"):
        image_folder.load(tmp_path, ["a photo"])


def test_multilingual_tsv(tmp_path):
    _images(tmp_path, ["a.jpg", "b.jpg"])
    (tmp_path / "caps.tsv").write_text("image\tlang\tcaption\na.jpg\ten\tA dog\na.jpg\tde\tEin Hund\n"
                                       "b.jpg\tde\tEine \"Katze\"\n")
    data = multilingual_tsv.load(tmp_path / "caps.tsv", tmp_path)
    assert data.languages == ["en", "de", "de"] and data.text_images == [[0], [0], [1]]
    assert data.texts[2] == 'Eine "Katze"'
    assert multilingual_tsv.load(tmp_path / "caps.tsv", tmp_path, languages=["en"]).texts == ["A dog"]
    (tmp_path / "bad.tsv").write_text("img\tcaption\na.jpg\tx\n")
    with pytest.raises(ValueError, match="header"):
        multilingual_tsv.load(tmp_path / "bad.tsv", tmp_path)


def test_multilingual_tsv_split_keeps_the_listed_images(tmp_path):
    """flickr8k-cn-dev: the Chinese captions of the dev images only (the table also holds train images')."""
    _images(tmp_path, ["a.jpg", "b.jpg"])
    (tmp_path / "caps.tsv").write_text("image\tlang\tcaption\na.jpg\tzh\t一只狗\nb.jpg\tzh\t一只猫\n"
                                       "c.jpg\tzh\t不在这里\n", encoding="utf-8")
    (tmp_path / "dev.txt").write_text("b.jpg\n")
    data = multilingual_tsv.load(tmp_path / "caps.tsv", tmp_path, split=tmp_path / "dev.txt")
    assert data.texts == ["一只猫"] and len(data.images) == 1 and data.images[0].endswith("b.jpg")
    (tmp_path / "other.txt").write_text("z.jpg\n")
    with pytest.raises(ValueError, match="none of its images"):
        multilingual_tsv.load(tmp_path / "caps.tsv", tmp_path, split=tmp_path / "other.txt")
    assert "flickr8k-cn-dev" in list_datasets()


def test_vqa_csv_multi_answers_and_question_retrieval(tmp_path):
    _images(tmp_path / "images", ["image1.jpg", "image2.jpg"])
    (tmp_path / "qa.csv").write_text('question,answer,image_id\nwhat is it,garbage_bin,image2\n'
                                     'what is on the bed,"pillow, comforter",image1\nwhat is it,table,image1\n')
    (tmp_path / "space.txt").write_text("table\ngarbage_bin\npillow\ncomforter\n")
    data = vqa_csv.load(tmp_path / "qa.csv", tmp_path / "images", tmp_path / "space.txt")
    assert data.answer_space == ["table", "garbage bin", "pillow", "comforter"]
    assert data.answers == [[1], [2, 3], [0]] and data.question_images == [0, 1, 1]
    assert tasks_for(data) == ("vqa", "question_retrieval", "ocr_retrieval")
    questions = data.question_retrieval()  # one query per distinct question, all its images positive
    assert questions.texts == ["what is it", "what is on the bed"] and questions.text_images == [[0, 1], [1]]
    (tmp_path / "small.txt").write_text("table\n")
    with pytest.raises(ValueError, match="not in the answer space"):
        vqa_csv.load(tmp_path / "qa.csv", tmp_path / "images", tmp_path / "small.txt")


def test_easy_vqa_from_its_package():
    data = load_dataset("easy-vqa", max_questions=30)
    assert len(data.questions) == 30 and len(data.answer_space) == 13
    assert all(len(a) == 1 for a in data.answers) and len(data.images) == max(data.question_images) + 1


def test_missing_files_and_data_root_are_named(tmp_path, monkeypatch):
    monkeypatch.delenv("MMRETRIEVAL_DATA", raising=False)
    with pytest.raises(ValueError, match="--data-root"):
        load_dataset("flickr8k-test")
    with pytest.raises(FileNotFoundError, match="token file not found"):
        load_dataset("flickr8k-test", str(tmp_path))
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset("imagenet-21k")
    _images(tmp_path / "images", ["a.jpg"])
    (tmp_path / "captions.txt").write_text("a.jpg#0\tx\nb.jpg#0\ty\n")
    (tmp_path / "split_test.txt").write_text("a.jpg\nb.jpg\n")
    with pytest.raises(FileNotFoundError, match="1 of 2 images are missing"):
        captions.load_flickr8k(tmp_path)


def test_limit_keeps_evenly_spaced_images_with_their_texts(tmp_path):
    from mmretrieval.evaluation.datasets import ClassificationData, RetrievalData, VQAData
    from mmretrieval.evaluation.datasets.subset import limit_images

    images = [f"{i}.jpg" for i in range(10)]
    classes = ClassificationData(images, [i // 5 for i in range(10)], ["a", "b"], ["{}"])
    cut = limit_images(classes, 3)
    assert cut.images == ["0.jpg", "4.jpg", "9.jpg"] and cut.labels == [0, 0, 1] and cut.info == {"limit": 3}
    captions = RetrievalData(images, ["zero", "four", "four and five", "nine"], [[0], [4], [4, 5], [9]],
                             languages=["en", "de", "en", "de"])
    cut = limit_images(captions, 2)  # images 0 and 9; captions of image 4 alone are dropped
    assert cut.texts == ["zero", "nine"] and cut.text_images == [[0], [1]] and cut.languages == ["en", "de"]
    assert limit_images(captions, 3).text_images == [[0], [1], [1], [2]]  # 0, 4(.5 rounds to 4), 9
    vqa = VQAData(images, ["q0", "q1", "q9"], [0, 1, 9], [[0], [1], [0]], ["yes", "no"])
    cut = limit_images(vqa, 2)
    assert cut.questions == ["q0", "q9"] and cut.question_images == [0, 1] and cut.answers == [[0], [0]]
    assert limit_images(vqa, 50) is vqa
    with pytest.raises(ValueError, match="at least 1"):
        limit_images(vqa, 0)


def test_load_dataset_limit_and_unknown_options_are_named(tmp_path):
    _images(tmp_path / "n01", ["1.jpg", "2.jpg", "3.jpg"])
    _images(tmp_path / "n02", ["1.png", "2.png"])
    (tmp_path / "prompts.json").write_text(json.dumps({"templates": ["{}"]}))
    (tmp_path / "set.json").write_text(json.dumps({"format": "image_folder", "prompts": str(tmp_path / "prompts.json"),
                                                   "paths": {"root": "."}}))
    data = load_dataset(str(tmp_path / "set.json"), str(tmp_path), limit=2, max_per_class=2)
    assert data.labels == [0, 1] and data.info == {"max_per_class": 2, "limit": 2}
    with pytest.raises(ValueError, match=r"has no option max_questions; its options are max_per_class"):
        load_dataset(str(tmp_path / "set.json"), str(tmp_path), max_questions=3)

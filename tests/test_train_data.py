"""Pair loaders for each supported layout."""

import json

import pytest

from mmretrieval.train.data import Pairs, load_pairs


def test_flickr_folder_with_splits(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "captions.txt").write_text(
        "a.jpg#0\tA dog runs .\na.jpg#1\tA brown dog .\nb.jpg#0\tA cat sleeps .\nb.jpg.1#0\tquirk\n"
    )
    (tmp_path / "split_train.txt").write_text("a.jpg\n")
    pairs = load_pairs(tmp_path, split="train")
    assert pairs.images == [str(tmp_path / "images" / "a.jpg")]
    assert pairs.captions == ["A dog runs .", "A brown dog ."] and pairs.image_index == [0, 0]
    assert len(load_pairs(tmp_path / "captions.txt")) == 4
    with pytest.raises(FileNotFoundError, match="split list"):
        load_pairs(tmp_path, split="test")


def test_coco_and_karpathy_json(tmp_path):
    coco = {"images": [{"id": 1, "file_name": "x.jpg"}], "annotations": [{"image_id": 1, "caption": "a bus"}]}
    (tmp_path / "coco.json").write_text(json.dumps(coco))
    assert load_pairs(tmp_path / "coco.json").captions == ["a bus"]
    karpathy = {"images": [{"filename": "x.jpg", "split": "train", "sentences": [{"raw": "a bus"}]},
                           {"filename": "y.jpg", "split": "test", "sentences": [{"raw": "a tram"}]}]}
    (tmp_path / "k.json").write_text(json.dumps(karpathy))
    assert load_pairs(tmp_path / "k.json", split="test").captions == ["a tram"]
    (tmp_path / "other.json").write_text("[]")
    with pytest.raises(ValueError, match="COCO"):
        load_pairs(tmp_path / "other.json")


def test_csv_jsonl_and_sidecar_folder(tmp_path):
    (tmp_path / "pairs.csv").write_text("image,caption\nimg/a.png,a red square\nimg/a.png,red\n")
    pairs = load_pairs(tmp_path / "pairs.csv")
    assert pairs.images == [str(tmp_path / "img" / "a.png")] and len(pairs) == 2
    (tmp_path / "pairs.jsonl").write_text('{"image": "b.png", "caption": "blue"}\n')
    assert load_pairs(tmp_path / "pairs.jsonl").captions == ["blue"]
    (tmp_path / "bad.csv").write_text("path,text\nb.png,blue\n")
    with pytest.raises(ValueError, match="'image' and 'caption'"):
        load_pairs(tmp_path / "bad.csv")
    folder = tmp_path / "side"
    folder.mkdir()
    (folder / "c.jpg").write_bytes(b"")
    (folder / "c.txt").write_text("one\ntwo\n")
    (folder / "lonely.jpg").write_bytes(b"")
    assert load_pairs(folder) == Pairs([str(folder / "c.jpg")], ["one", "two"], [0, 0])


def test_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_pairs(tmp_path / "nope.csv")

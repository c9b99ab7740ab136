"""WebDataset shards (img2dataset layout) -> streamed, resumable, memory-mapped training features."""

import io
import json

import numpy as np
import pytest
import torch
from PIL import Image

from mmretrieval.train.shards import expand_shards, is_shard_source, read_shard
from mmretrieval.train.feature_table import FeatureTable
from mmretrieval.train.shard_features import shard_features

COLOURS = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220), "yellow": (230, 220, 20),
           "black": (10, 10, 10), "white": (245, 245, 245), "purple": (140, 30, 160), "orange": (250, 140, 0)}


def _jpeg(rgb, seed):
    pixels = np.clip(np.random.default_rng(seed).normal(rgb, 25, size=(40, 56, 3)), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """00000.tar: 4 good samples (one captioned only in its .json), a corrupt JPEG, one without a caption;
    00001.tar: 4 good; 00002.tar: a copy of 00001 cut short (a truncated download)."""
    import webdataset as wds

    folder = tmp_path_factory.mktemp("shards")
    names = list(COLOURS)
    with wds.TarWriter(str(folder / "00000.tar")) as sink:
        for i, name in enumerate(names[:4]):
            sample = {"__key__": f"{i:09d}", "jpg": _jpeg(COLOURS[name], i),
                      "json": json.dumps({"key": f"{i:09d}", "caption": f"a {name} square", "status": "success"})}
            if i != 3:
                sample["txt"] = f"a {name} square"
            sink.write(sample)
        sink.write({"__key__": "000000004", "jpg": b"\xff\xd8\xff\xe0 not really a jpeg", "txt": "broken"})
        sink.write({"__key__": "000000005", "jpg": _jpeg((0, 0, 0), 5), "json": json.dumps({"status": "success"})})
    with wds.TarWriter(str(folder / "00001.tar")) as sink:
        for i, name in enumerate(names[4:], start=10):
            sink.write({"__key__": f"{i:09d}", "jpg": _jpeg(COLOURS[name], i), "txt": f"a {name} square"})
    data = (folder / "00001.tar").read_bytes()
    (folder / "00002.tar").write_bytes(data[: len(data) // 2])
    return folder


def test_reader_streams_samples_and_reports_what_it_skips(shards):
    problems = []
    samples = list(read_shard(str(shards / "00000.tar"), problems))
    assert [s.key for s in samples] == ["000000000", "000000001", "000000002", "000000003", "000000004"]
    assert samples[3].caption == "a yellow square" and samples[3].meta["status"] == "success"  # from the .json
    assert samples[0].path == f"{shards / '00000.tar'}#000000000"
    assert [(p.key, p.reason) for p in problems] == [("000000005", "no caption (.txt, or 'caption' in its .json)")]
    problems = []
    cut = list(read_shard(str(shards / "00002.tar"), problems))
    assert len(cut) < 4 and any("truncated" in p.reason for p in problems)
    problems = []
    assert list(read_shard(str(shards / "missing.tar"), problems)) == [] and problems[0].reason == "no such shard file"


def test_shard_sources_expand_like_webdataset(shards):
    assert expand_shards(f"{shards}/{{00000..00001}}.tar") == [str(shards / "00000.tar"), str(shards / "00001.tar")]
    assert expand_shards(shards) == expand_shards(f"{shards}/*.tar") and len(expand_shards(shards)) == 3
    assert is_shard_source(f"{shards}/{{00000..00001}}.tar") and is_shard_source(shards)
    assert not is_shard_source(shards / "pairs.csv")
    with pytest.raises(FileNotFoundError, match="no webdataset shards"):
        expand_shards(f"{shards}/nothing-*.tar")


def test_features_stream_into_a_resumable_memory_mapped_table(tiny_model, shards, tmp_path, monkeypatch):
    source = f"{shards}/{{00000..00002}}.tar"
    done = shard_features(tiny_model, source, root=tmp_path, show_progress_bar=False)
    reasons = {(p.shard.rsplit("/", 1)[-1], p.key): p.reason for p in done.problems}
    assert ("00000.tar", "000000004") in reasons and "image" in reasons[("00000.tar", "000000004")].lower()
    assert ("00000.tar", "000000005") in reasons and any("truncated" in r for r in reasons.values())
    cut = done.table.part_rows(done.table.parts()[2])
    assert done.rows == 4 + 4 + cut
    feats = done.pair_features()
    assert feats.pooled.dtype == torch.float16 and feats.pooled.shape == (done.rows, tiny_model.trunk.output_dim)
    assert torch.equal(feats.image_index, torch.arange(done.rows))
    first = next(read_shard(str(shards / "00000.tar"), []))
    pooled, _ = tiny_model.trunk_features(tiny_model.preprocess(first.image)[None])
    torch.testing.assert_close(feats.pooled[0].float(), pooled[0].float(), atol=2e-3, rtol=2e-3)
    expected_text = tiny_model.text_tower.encode(first.caption, task="retrieval.query", convert_to_tensor=True)
    torch.testing.assert_close(feats.text[0].float(), expected_text.float(), atol=2e-3, rtol=2e-3)

    def no_encoding(*args, **kwargs):
        raise AssertionError("a finished shard was encoded again")

    monkeypatch.setattr(tiny_model, "trunk_features", no_encoding)
    again = shard_features(tiny_model, source, root=tmp_path, show_progress_bar=False)
    assert again.rows == done.rows and {str(p) for p in again.problems} == {str(p) for p in done.problems}
    one = shard_features(tiny_model, f"{shards}/00001.tar", root=tmp_path, show_progress_bar=False)
    assert one.rows == 4 and one.table.keys()[0].endswith("00001.tar#000000010")


def test_table_parts_are_atomic_and_merge_in_order(tmp_path):
    table = FeatureTable(tmp_path)
    table.write_part("b", ["b0"], np.ones((1, 3)), np.ones((1, 2)))
    table.write_part("a", ["a0", "a1"], np.zeros((2, 3)), np.zeros((2, 2)))
    (tmp_path / "parts" / ".c.dead.tmp").mkdir()  # a part a killed run never finished
    assert table.parts() == ["a", "b"] and table.subset(["b", "a"]).keys() == ["b0", "a0", "a1"]
    image, text = table.subset(["b", "a"]).open()
    assert image.tolist() == [[1, 1, 1], [0, 0, 0], [0, 0, 0]] and text.shape == (3, 2)
    with pytest.raises(ValueError, match="1 keys, 2 image rows"):
        table.write_part("x", ["x0"], np.zeros((2, 3)), np.zeros((1, 2)))


def test_train_command_on_shards(tiny_model_config, shards, tmp_path, capsys):
    from mmretrieval import load_model
    from mmretrieval.cli.main import main

    config = tmp_path / "tiny.json"
    tiny_model_config.save(config)
    out = tmp_path / "run"
    assert main(["train", f"{shards}/{{00000..00002}}.tar", "--dev", f"{shards}/00001.tar", "--model", str(config),
                 "--epochs", "2", "--batch-size", "4", "--out", str(out), "--cache", str(tmp_path / "cache")]) == 0
    printed = capsys.readouterr().out
    assert "pairs from webdataset shards" in printed and "000000004" in printed and "truncated" in printed
    model = load_model(str(out / "best"), device="cpu")
    assert len((out / "log.jsonl").read_text().splitlines()) == 2 and model.encode_image(
        next(read_shard(str(shards / "00001.tar"), [])).image).shape == (32,)

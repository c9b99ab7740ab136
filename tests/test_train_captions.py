"""``mmretrieval train --captions``: more captions of the same photos (another language) in one training run."""

import dataclasses

import numpy as np
import pytest

from mmretrieval import MMRetrievalModel, load_model
from mmretrieval.cli.main import main as cli
from mmretrieval.train.data import add_captions, load_pairs

CHINESE = {"red": "红色的方块", "green": "绿色的东西", "blue": "蓝色的方块", "yellow": "黄色的东西"}


def _chinese_table(folder, extra=()):
    table = folder / "zh.tsv"
    rows = [(f"{name}.jpg", "zh", caption) for name, caption in CHINESE.items()] + list(extra)
    table.write_text("image\tlang\tcaption\n" + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    return table


def test_captions_join_their_photos_by_file_name(caption_pairs_csv, tmp_path):
    pairs = load_pairs(caption_pairs_csv)
    table = _chinese_table(tmp_path, [("not-here.jpg", "zh", "别处的照片")])
    joined = add_captions(pairs, [table])
    assert joined.images == pairs.images  # no new photo, not even the one no pair has
    assert len(joined) == len(pairs) + len(CHINESE)
    red = [c for c, i in zip(joined.captions, joined.image_index) if joined.images[i].endswith("/red.jpg")]
    assert red == ["a red square", "something red", "红色的方块"]
    elsewhere = tmp_path / "elsewhere.tsv"
    elsewhere.write_text("image\tcaption\nnowhere.jpg\t无处\n", encoding="utf-8")
    with pytest.raises(ValueError, match="none of its 1 image names"):
        add_captions(pairs, [elsewhere])


def test_train_on_two_languages_at_once_keeps_text_vectors(caption_pairs_csv, tiny_model_config, tmp_path, capsys):
    config = tmp_path / "tiny.json"
    tiny_model_config.save(config)
    table = _chinese_table(tmp_path)
    out = tmp_path / "run"
    assert cli(["train", str(caption_pairs_csv), "--model", str(config), "--out", str(out), "--epochs", "2",
                "--batch-size", "8", "--space", "raw", "--captions", str(table), "--cache", str(tmp_path / "cache")]) == 0
    printed = capsys.readouterr().out
    assert f"{17 + len(CHINESE)} captions of 9 images" in printed  # (the broken photo is skipped later)
    model = load_model(str(out / "best"), device="cpu")
    texts = list(CHINESE.values()) + ["a red square"]
    untrained = MMRetrievalModel(dataclasses.replace(tiny_model_config, space="raw"), device="cpu")
    np.testing.assert_array_equal(model.encode_text(texts), untrained.encode_text(texts))  # the text model's own


def test_without_captions_the_run_is_the_english_one_and_with_them_it_is_not(caption_pairs_csv, tiny_model_config,
                                                                             tmp_path):
    """Option off: `train` on the pairs alone, bit for bit the run the Python API makes of them. On: the Chinese
    rows join their photos' positives, so the adapter comes out different, while dev stays each photo's."""
    from mmretrieval.train.loop import TrainConfig, train

    config = tmp_path / "tiny.json"
    tiny_model_config.save(config)
    cache = tmp_path / "cache"
    common = ["--model", str(config), "--epochs", "2", "--batch-size", "8", "--space", "raw", "--cache", str(cache)]
    assert cli(["train", str(caption_pairs_csv), "--out", str(tmp_path / "off"), *common]) == 0
    assert cli(["train", str(caption_pairs_csv), "--out", str(tmp_path / "on"), *common,
                "--captions", str(_chinese_table(tmp_path))]) == 0
    direct = MMRetrievalModel(dataclasses.replace(tiny_model_config, space="raw"), device="cpu")
    train(direct, load_pairs(caption_pairs_csv), None, TrainConfig(epochs=2, batch_size=8),
          out_dir=tmp_path / "direct", cache_root=cache)
    off, on = (load_model(str(tmp_path / run / "best"), device="cpu").adapter.state_dict() for run in ("off", "on"))
    assert all(np.array_equal(off[k].numpy(), v.numpy()) for k, v in direct.adapter.state_dict().items())
    assert not all(np.array_equal(off[k].numpy(), v.numpy()) for k, v in on.items())

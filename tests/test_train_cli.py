"""``mmretrieval train`` end to end on a tiny model config and a CSV with one corrupt image."""

import argparse

from mmretrieval import load_model
from mmretrieval.cli import train as train_cli


def test_train_command_reports_skipped_images_and_saves_a_loadable_model(
    tiny_model_config, caption_pairs_csv, tmp_path, capsys
):
    config = tmp_path / "tiny.json"
    tiny_model_config.save(config)
    parser = argparse.ArgumentParser()
    train_cli.register(parser.add_subparsers())
    args = parser.parse_args(["train", str(caption_pairs_csv), "--model", str(config), "--dev", str(caption_pairs_csv),
                              "--epochs", "2", "--batch-size", "8", "--dropout", "0.1",
                              "--out", str(tmp_path / "run"), "--cache", str(tmp_path / "cache")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "skipped" in out and "broken.jpg" in out and "best epoch" in out
    model = load_model(str(tmp_path / "run" / "best"), device="cpu")
    assert model.config.adapter.input_dropout == 0.1
    assert model.encode_image(str(caption_pairs_csv.parent / "red.jpg")).shape == (32,)
    assert model.bank.vectors.shape == (9, 32)  # the query bank: the first caption of each training image


def test_train_help_explains_the_recipe_options_and_their_defaults(capsys):
    import pytest

    from mmretrieval.cli.main import main
    from mmretrieval.train import TrainConfig

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split()).split(" options: ", 1)[1]  # past the usage line
    defaults = TrainConfig()
    for option, value in (("--epochs", defaults.epochs), ("--batch-size", defaults.batch_size),
                          ("--lr", defaults.lr), ("--weight-decay", defaults.weight_decay), ("--loss", defaults.loss)):
        shown = text.split(f"{option} ", 1)[1].split(" --", 1)[0]  # the option's own help entry
        assert f"(default: {value})" in shown, (option, shown)


def test_train_with_a_concept_prior_saves_its_class_vectors_and_composes_with_other_options(
    tiny_model_config, caption_pairs_csv, tmp_path
):
    config = tmp_path / "tiny.json"
    tiny_model_config.save(config)
    parser = argparse.ArgumentParser()
    train_cli.register(parser.add_subparsers())
    args = parser.parse_args(["train", str(caption_pairs_csv), "--model", str(config), "--epochs", "1",
                              "--batch-size", "8", "--space", "raw", "--concept-prior", "0.4",
                              "--concept-top-k", "3", "--concept-weighting", "max_prob", "--out", str(tmp_path / "run"),
                              "--cache", str(tmp_path / "cache")])
    assert args.func(args) == 0
    assert (tmp_path / "run" / "best" / "concept_prior.safetensors").is_file()
    model = load_model(str(tmp_path / "run" / "best"), device="cpu")
    prior = model.config.concept_prior
    assert (prior.weight, prior.top_k, prior.weighting, prior.label_set) == (0.4, 3, "max_prob", "imagenet-1k")
    assert model.config.space == "raw" and model.concept_prior.vectors.shape == (1000, 32)
    assert model.encode_image(str(caption_pairs_csv.parent / "red.jpg")).shape == (32,)
    off = parser.parse_args(["train", str(caption_pairs_csv), "--model", str(config), "--concept-prior", "0"])
    assert train_cli._with_concept_prior(tiny_model_config, off.concept_prior, None, None).concept_prior is None

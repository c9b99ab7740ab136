"""Raw-space models (``space="raw"``): text vectors are exactly the text model's, images are placed in its
space, Matryoshka prefixes come from the stored rotation; a centred model converts without retraining."""

import dataclasses

import numpy as np
import pytest
import torch

from mmretrieval import MMRetrievalModel, load_model
from mmretrieval.cli.main import main as cli
from mmretrieval.indexing import Index
from mmretrieval.raw_space import raw_space_weights
from mmretrieval.store import IMAGE, SMALL, TEXT, VectorStore
from mmretrieval.train.data import load_pairs
from mmretrieval.train.loop import TrainConfig, train

TEXTS = ["a man riding a horse", "ein Hund rennt über eine Wiese", "", "une tasse de café " * 40]


def _fitted_space(model, seed=0):
    """A caption mean of norm ~0.85 (e5-like) and a random orthogonal rotation."""
    generator = torch.Generator().manual_seed(seed)
    dim = model.embed_dim
    mean = torch.randn(dim, generator=generator)
    model.space.text_mean.copy_(0.85 * mean / mean.norm())
    model.space.rotation.copy_(torch.linalg.qr(torch.randn(dim, dim, generator=generator))[0])
    return model


@pytest.fixture(scope="module")
def centred(tiny_model_config):
    torch.manual_seed(0)
    return _fitted_space(MMRetrievalModel(tiny_model_config, device="cpu"))


@pytest.fixture(scope="module")
def raw(centred):
    config, state = raw_space_weights(centred.config, centred.trainable_state_dict())
    model = MMRetrievalModel(config, device="cpu")
    model.load_trainable_state_dict(state)
    return model


def test_text_vectors_are_bit_identical_to_the_text_model(raw):
    for task in ("retrieval.query", "retrieval.passage", None):
        np.testing.assert_array_equal(raw.encode_text(TEXTS, task=task), raw.text_tower.encode(TEXTS, task=task))
    np.testing.assert_array_equal(raw.encode_text(TEXTS, prompt="query: ", normalize_embeddings=False),
                                  raw.text_tower.encode(TEXTS, prompt="query: ", normalize_embeddings=False))
    one = raw.encode_text("a cat", convert_to_tensor=True)
    assert torch.equal(one, raw.text_tower.encode("a cat", task="retrieval.query", convert_to_tensor=True))
    np.testing.assert_array_equal(raw.encode_text(TEXTS, truncate_dim=raw.embed_dim), raw.text_tower.encode(
        TEXTS, task="retrieval.query"))


def test_centred_models_do_move_text_vectors(centred):
    assert np.abs(centred.encode_text(TEXTS) - centred.text_tower.encode(TEXTS, task="retrieval.query")).max() > 0.1


def test_images_sit_on_the_captions_cone(raw, assets):
    images = raw.encode_image([str(assets / "cat.jpg"), str(assets / "rocket.jpg")], normalize_embeddings=False)
    mean = raw.space.text_mean.numpy()
    np.testing.assert_allclose(np.linalg.norm(images, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(images @ (mean / np.linalg.norm(mean)), np.linalg.norm(mean), atol=1e-5)


def _without_mean(model, x):
    """``x``'s part orthogonal to the caption-mean direction (what ranks images against each other)."""
    m_hat = model.space.text_mean.numpy() / np.linalg.norm(model.space.text_mean.numpy())
    return x - np.outer(x @ m_hat, m_hat)


def test_image_mean_cos_sets_every_images_component_along_the_mean(raw, assets):
    placed = MMRetrievalModel(dataclasses.replace(raw.config, image_mean_cos=0.5), device="cpu")
    placed.load_trainable_state_dict(raw.trainable_state_dict())
    paths = [str(assets / "cat.jpg"), str(assets / "rocket.jpg")]
    images = placed.encode_image(paths, normalize_embeddings=False)
    m_hat = raw.space.text_mean.numpy() / np.linalg.norm(raw.space.text_mean.numpy())
    np.testing.assert_allclose(np.linalg.norm(images, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(images @ m_hat, 0.5, atol=1e-5)
    # the same ranking direction as with the default g: only the m_hat component moved
    np.testing.assert_allclose(_without_mean(placed, images), _without_mean(raw, raw.encode_image(paths)) *
                               np.sqrt(0.75) / np.sqrt(1 - 0.85**2), atol=1e-5)


def test_the_prefix_space_drops_the_mean_and_rotates_orthonormally(raw):
    rotation, m_hat = raw.space.rotation, raw.space.mean_direction()
    torch.testing.assert_close(rotation @ rotation.T, torch.eye(raw.embed_dim), atol=1e-5, rtol=0)
    torch.testing.assert_close(raw.space.prefix_space(m_hat[None]), torch.zeros(1, raw.embed_dim), atol=1e-6, rtol=0)
    x = torch.randn(5, raw.embed_dim, generator=torch.Generator().manual_seed(3))
    mapped = raw.space.prefix_space(x)  # inner products of the parts orthogonal to the mean are kept
    torch.testing.assert_close(mapped @ mapped.T, x @ x.T - torch.outer(x @ m_hat, x @ m_hat), atol=1e-5, rtol=0)
    full = raw.encode_text(TEXTS)  # the full-dim "prefix" is the full vector itself
    np.testing.assert_allclose(raw.matryoshka_prefix(torch.as_tensor(full), raw.embed_dim).numpy(), full, atol=1e-6)


def test_matryoshka_prefixes_come_from_the_rotation(raw, assets):
    """A space known by hand: the mean along e_0 and a rotation that moves coordinate i to (i + 2) mod dim,
    so an 8-d prefix is coordinates dim-2, dim-1, 0 (dropped with the mean), 1..5 of the vector."""
    model = MMRetrievalModel(raw.config, device="cpu")
    model.load_trainable_state_dict(raw.trainable_state_dict())
    dim = model.embed_dim
    rotation = torch.zeros(dim, dim)
    rotation[torch.arange(dim), (torch.arange(dim) + 2) % dim] = 1.0
    with torch.no_grad():
        model.space.text_mean.copy_(0.85 * torch.eye(dim)[0])
        model.space.rotation.copy_(rotation)

    def by_hand(x):
        picked = np.concatenate([x[:, [dim - 2, dim - 1]], np.zeros((len(x), 1)), x[:, 1:6]], axis=1)
        return picked / np.linalg.norm(picked, axis=1, keepdims=True)

    text = model.text_tower.encode(TEXTS, task="retrieval.query")
    np.testing.assert_allclose(model.encode_text(TEXTS, truncate_dim=8), by_hand(text), atol=1e-5)
    paths = [str(assets / "cat.jpg"), str(assets / "camera.jpg")]
    full = model.encode_image(paths)
    np.testing.assert_allclose(model.encode_image(paths, truncate_dim=8), by_hand(full), atol=1e-5)
    np.testing.assert_allclose(model.matryoshka_prefix(torch.as_tensor(full), 8).numpy(), by_hand(full), atol=1e-5)


def test_conversion_ranks_images_as_the_centred_model_ranks_their_parts_orthogonal_to_the_mean(centred, raw, assets):
    # The centred score of an image is <t - m, w> (w: its vector un-rotated); the raw model keeps w's part
    # orthogonal to m. A wrong fold of the rotation into the adapter would break this ordering.
    paths = [str(assets / f"{name}.jpg") for name in ("cat", "camera", "rocket", "coffee", "astronaut")]
    w = centred.encode_image(paths) @ centred.space.rotation.numpy().T
    m = centred.space.text_mean.numpy()
    m_hat = m / np.linalg.norm(m)
    perp = w - np.outer(w @ m_hat, m_hat)
    perp /= np.linalg.norm(perp, axis=1, keepdims=True)
    queries = centred.text_tower.encode(TEXTS, task="retrieval.query")
    centred_perp_scores = (queries - m) @ perp.T
    raw_scores = raw.encode_text(TEXTS) @ raw.encode_image(paths).T
    assert (np.argsort(-raw_scores, axis=1) == np.argsort(-centred_perp_scores, axis=1)).all()
    shift = np.linalg.norm(m) * (queries @ m_hat)  # every image's score moves by the same g * <t, m_hat>
    g = np.linalg.norm(m)
    np.testing.assert_allclose(raw_scores, np.sqrt(1 - g**2) * queries @ perp.T + shift[:, None], atol=1e-5)


def test_conversion_refuses_raw_or_uncentred_models(raw, tiny_model_config):
    with pytest.raises(ValueError, match="already"):
        raw_space_weights(raw.config, raw.trainable_state_dict())
    plain = MMRetrievalModel(tiny_model_config, device="cpu")
    with pytest.raises(ValueError, match="caption mean"):
        raw_space_weights(plain.config, plain.trainable_state_dict())
    with pytest.raises(ValueError, match="unknown space"):
        MMRetrievalModel(dataclasses.replace(tiny_model_config, space="sideways"), device="cpu")


def test_convert_command_writes_a_loadable_raw_model(centred, tmp_path, capsys):
    centred.save(tmp_path / "centred")
    assert cli(["convert", str(tmp_path / "centred"), "--out", str(tmp_path / "raw")]) == 0
    assert "space=raw" in capsys.readouterr().out
    model = load_model(str(tmp_path / "raw"), device="cpu")
    assert model.config.space == "raw" and model.config.name == "tiny-raw"
    np.testing.assert_array_equal(model.encode_text(TEXTS), model.text_tower.encode(TEXTS, task="retrieval.query"))
    assert cli(["convert", str(tmp_path / "raw"), "--out", str(tmp_path / "again")]) == 2
    assert "already" in capsys.readouterr().err


def test_index_stores_and_queries_the_models_own_prefixes(raw, tmp_path, assets):
    with Index(VectorStore(":memory:"), raw) as index:
        index.add_images([assets], show_progress_bar=False)
        (tmp_path / "notes.md").write_text("# Launch\n\nThe rocket lifts off the pad into a clear sky.\n")
        index.add_texts([tmp_path / "notes.md"], show_progress_bar=False)
        small_dim = index.store.info().small_dim
        for record in index.store.scroll(with_vectors=True):
            full = record.vector.get(IMAGE, record.vector.get(TEXT))
            np.testing.assert_allclose(record.vector[SMALL], raw.matryoshka_prefix(np.asarray(full)[None], small_dim)
                                       .numpy()[0], atol=1e-5)
        assert len(index.search(text="a cat", limit=3, dim=small_dim)) == 3  # (the prefetch itself: test_search.py)
        with pytest.raises(ValueError, match="small vectors"):
            index.store.query(raw.encode_text("a cat"), prefetch_dim=small_dim, prefetch_vector=np.ones(3))


def test_training_for_the_raw_space_directly(tiny_model_config, caption_pairs_csv, tmp_path):
    model = MMRetrievalModel(dataclasses.replace(tiny_model_config, space="raw", matryoshka_dims=(8, 32)),
                             device="cpu")
    pairs = load_pairs(caption_pairs_csv)
    recipe = TrainConfig(epochs=2, batch_size=4, lr=1e-2, seed=1, centroid_weight=0.5)
    result = train(model, pairs, pairs, recipe, out_dir=tmp_path / "run", cache_root=tmp_path / "cache")
    assert len(result.history) == 2 and "t2i_R@5" in result.best_metrics
    best = load_model(str(tmp_path / "run" / "best"), device="cpu")
    assert best.config.space == "raw" and best.space.text_mean.norm() > 0
    np.testing.assert_array_equal(best.encode_text(TEXTS), best.text_tower.encode(TEXTS, task="retrieval.query"))

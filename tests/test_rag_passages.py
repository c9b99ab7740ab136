"""Passage splitting: offsets point back into the source, overlap, size limits, Markdown, bad input."""

import pytest

from mmretrieval.indexing.passages import read_document, split_passages

TEXT = " ".join(
    f"Sentence number {i} talks about topic {i % 7}, with a few more words to fill it out." for i in range(60)
)


def test_offsets_point_back_into_the_source():
    passages = split_passages(TEXT, size=300, overlap=60)
    assert len(passages) > 5
    for i, p in enumerate(passages):
        assert TEXT[p.start : p.end] == p.text
        assert len(p.text) <= 300
        assert p.index == i
    assert passages[0].start == 0 and passages[-1].end == len(TEXT)


def test_passages_overlap_and_cover_the_text():
    passages = split_passages(TEXT, size=300, overlap=100)
    for prev, nxt in zip(passages, passages[1:]):
        assert nxt.start < prev.end, "consecutive passages should share text"
        assert prev.end - nxt.start <= 100
        assert nxt.start > prev.start
    no_overlap = split_passages(TEXT, size=300, overlap=0)
    for prev, nxt in zip(no_overlap, no_overlap[1:]):
        assert nxt.start >= prev.end


def test_offsets_are_characters_not_bytes():
    text = "Grüße aus Köln. " * 40 + "日本語の文章です。" * 30
    for p in split_passages(text, size=120, overlap=30):
        assert text[p.start : p.end] == p.text


def test_sizes_in_tokens_with_the_towers_tokenizer(tiny_model):
    tokenizer = tiny_model.text_tower.tokenizer
    passages = split_passages(TEXT, size=40, overlap=10, tokenizer=tokenizer)
    assert len(passages) > 10
    for p in passages:
        assert TEXT[p.start : p.end] == p.text
        assert len(tokenizer(p.text, add_special_tokens=False)["input_ids"]) <= 40


def test_markdown_splits_at_headings():
    doc = "# Cats\n\n" + "Cats sleep a lot. " * 20 + "\n\n# Rockets\n\n" + "Rockets fly to orbit. " * 20
    passages = split_passages(doc, size=450, overlap=0, markdown=True)
    assert any(p.text.startswith("# Rockets") for p in passages)
    assert not any("Cats" in p.text and "Rockets" in p.text for p in passages)


def test_empty_and_whitespace_give_no_passages():
    assert split_passages("") == []
    assert split_passages("   \n\n  ") == []


@pytest.mark.parametrize("size,overlap", [(0, 0), (100, 100), (100, -1)])
def test_bad_sizes_are_refused(size, overlap):
    with pytest.raises(ValueError, match="passage"):
        split_passages(TEXT, size=size, overlap=overlap)


def test_read_document_errors(tmp_path):
    good = tmp_path / "a.md"
    good.write_bytes("\ufeff# Title\nbody".encode("utf-8"))
    assert read_document(good) == "# Title\nbody"
    latin = tmp_path / "b.txt"
    latin.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(ValueError, match="UTF-8"):
        read_document(latin)
    binary = tmp_path / "c.txt"
    binary.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(ValueError, match="binary"):
        read_document(binary)
    with pytest.raises(ValueError, match="not a text document"):
        read_document(tmp_path / "d.pdf")
    with pytest.raises(FileNotFoundError):
        read_document(tmp_path / "missing.txt")

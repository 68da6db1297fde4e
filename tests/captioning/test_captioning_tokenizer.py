"""Caption tokenizers: the offline BPE follows BART's conventions; bart-base loads from its
asset files (never the hub) and never falls back."""

from __future__ import annotations

import json

import pytest

from aacr_lib import assets
from aacr_lib.captioning import tokenizer as tok
from aacr_lib.captioning.experiments import resolve_config
from aacr_lib.errors import DataError, PretrainedUnavailable
from tests.fabricate_text import write_bart_tokenizer_files

CAPTIONS = [
    "a dog barks while rain falls on a roof",
    "birds are chirping in the distance",
    "a car passes by on a wet road",
    "people talk in a busy restaurant",
] * 20


@pytest.fixture(scope="module")
def bpe():
    return tok.train_bpe(CAPTIONS, vocab_size=300, min_frequency=2)


def test_bpe_uses_bart_special_token_ids(bpe):
    assert (bpe.bos_token_id, bpe.pad_token_id, bpe.eos_token_id, bpe.unk_token_id) == (0, 1, 2, 3)
    assert len(bpe) == 300
    special = tok.special_tokens_of(bpe)
    assert (special.bos, special.pad, special.eos, special.decoder_start) == (0, 1, 2, 2)


def test_captions_are_wrapped_and_padded_like_the_baseline(bpe):
    ids, mask = tok.encode_captions(bpe, ["a dog barks", CAPTIONS[0] * 5], max_length=16)
    assert ids.shape == (2, 16)
    assert ids[0, 0] == 0 and 2 in ids[0].tolist() and ids[0, -1] == 1
    assert mask[0].tolist() == [int(i != 1) for i in ids[0].tolist()]
    assert ids[1, 0] == 0 and ids[1, -1] == 2  # truncated, still closed by </s>
    assert tok.decode_captions(bpe, ids[:1]) == ["a dog barks"]


def test_unseen_words_still_round_trip(bpe):
    ids, _ = tok.encode_captions(bpe, ["a zebra xylophone"], max_length=40)
    assert tok.decode_captions(bpe, ids) == ["a zebra xylophone"]  # byte-level: no <unk>


def test_saved_tokenizer_reloads_identically(bpe, tmp_path):
    tok.save_tokenizer(bpe, tmp_path / "tokenizer")
    again = tok.load_tokenizer(tmp_path / "tokenizer")
    assert again(CAPTIONS[:3])["input_ids"] == bpe(CAPTIONS[:3])["input_ids"]


def test_missing_run_tokenizer_is_a_clear_error(tmp_path):
    with pytest.raises(PretrainedUnavailable, match="aacr train captioning"):
        tok.load_tokenizer(tmp_path)


def test_paper_profile_asks_for_bart_base_and_names_aacr_setup_when_missing(monkeypatch):
    import transformers

    hub_calls = []
    monkeypatch.setattr(
        transformers.AutoTokenizer, "from_pretrained", lambda *a, **k: hub_calls.append(a)
    )
    config = resolve_config("baseline", "paper")
    assert config.tokenizer.kind == "bart-base"
    with pytest.raises(PretrainedUnavailable) as error:
        tok.build_tokenizer(config.tokenizer, CAPTIONS)
    message = str(error.value)
    assert "aacr setup bart_base_tokenizer" in message and "tokenizer.kind=bpe" in message
    assert str(assets.get("bart_base_tokenizer").directory()) in message
    assert hub_calls == []


@pytest.fixture
def bart_files():
    """bart-base style vocab.json + merges.txt where `aacr setup bart_base_tokenizer` puts them."""
    return write_bart_tokenizer_files(assets.get("bart_base_tokenizer").directory(), CAPTIONS)


def test_fabricated_files_have_bart_base_layout(bart_files):
    vocab = json.loads((bart_files / "vocab.json").read_text(encoding="utf-8"))
    assert [vocab[t] for t in ("<s>", "<pad>", "</s>", "<unk>")] == [0, 1, 2, 3]
    assert vocab["<mask>"] == max(vocab.values()) == len(vocab) - 1
    lines = (bart_files / "merges.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#version: 0.2" and len(lines) > 1
    left, right = lines[1].split(" ")
    assert left + right in vocab


def test_bart_base_tokenizer_loads_from_the_asset_files(bart_files, tmp_path):
    tokenizer = tok.build_tokenizer(tok.TokenizerConfig(kind="bart-base"))
    assert (tokenizer.bos_token_id, tokenizer.pad_token_id) == (0, 1)
    assert (tokenizer.eos_token_id, tokenizer.unk_token_id) == (2, 3)
    vocab = json.loads((bart_files / "vocab.json").read_text(encoding="utf-8"))
    assert tokenizer.mask_token_id == vocab["<mask>"] and len(tokenizer) == len(vocab)
    special = tok.special_tokens_of(tokenizer)
    assert (special.bos, special.pad, special.eos, special.decoder_start) == (0, 1, 2, 2)
    # The merges are applied as written: the same pieces as the BPE the files came from.
    ids, mask = tok.encode_captions(tokenizer, ["a dog barks", "birds are chirping"], 12)
    assert ids.shape == (2, 12) and ids[0, 0] == 0 and ids[0, -1] == 1
    pieces = tokenizer.convert_ids_to_tokens(ids[0].tolist())
    assert pieces[:4] == ["<s>", "a", "Ġdog", "Ġbarks"] and pieces[4] == "</s>"
    assert mask[0].tolist() == [int(i != 1) for i in ids[0].tolist()]
    assert tok.decode_captions(tokenizer, ids) == ["a dog barks", "birds are chirping"]
    # byte-level: a word never seen still round-trips, without <unk>
    unseen, _ = tok.encode_captions(tokenizer, ["a zebra xylophone"], 40)
    assert 3 not in unseen[0].tolist()
    assert tok.decode_captions(tokenizer, unseen) == ["a zebra xylophone"]
    # a run keeps the tokenizer it trained with, and reloads it without the asset
    tok.save_tokenizer(tokenizer, tmp_path / "tokenizer")
    again = tok.load_tokenizer(tmp_path / "tokenizer")
    assert again(CAPTIONS[:4])["input_ids"] == tokenizer(CAPTIONS[:4])["input_ids"]


def test_bart_files_with_other_special_ids_are_refused(bart_files):
    vocab = json.loads((bart_files / "vocab.json").read_text(encoding="utf-8"))
    vocab["<pad>"], vocab["<unk>"] = vocab["<unk>"], vocab["<pad>"]
    (bart_files / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    with pytest.raises(DataError, match="aacr setup bart_base_tokenizer"):
        tok.load_bart_base_tokenizer()

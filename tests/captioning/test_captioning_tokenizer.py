"""Caption tokenizers: the offline BPE follows BART's conventions; bart-base never falls back."""

from __future__ import annotations

import pytest

from aacr_lib.captioning import tokenizer as tok
from aacr_lib.captioning.experiments import resolve_config
from aacr_lib.errors import PretrainedUnavailable

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


def test_paper_profile_asks_for_bart_base_and_fails_offline_naming_the_fix(monkeypatch, tmp_path):
    from aacr_lib.models.captioning import pretrained

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache
    monkeypatch.setattr(pretrained, "hub_reachable", lambda *a, **k: False)
    config = resolve_config("baseline", "paper")
    assert config.tokenizer.kind == "bart-base"
    with pytest.raises(PretrainedUnavailable) as error:
        tok.build_tokenizer(config.tokenizer, CAPTIONS)
    message = str(error.value)
    assert "facebook/bart-base" in message and "tokenizer.kind=bpe" in message


def test_hub_reachable_respects_offline_mode(monkeypatch):
    from aacr_lib.models.captioning.pretrained import hub_reachable

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hub_reachable() is False

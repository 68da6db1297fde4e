"""Baseline tokenisation, Word2Vec mean vectors (GoogleNews from the asset cache, or trained
offline) and the sentence transformer."""

from __future__ import annotations

import json

import numpy as np
import pytest

from aacr_lib import assets
from aacr_lib.errors import DataError, PretrainedUnavailable
from aacr_lib.retrieval.text_encoders import (
    ENCODER_FILE,
    LEGACY_WORD2VEC_FILE,
    WORD2VEC_FILE,
    WORD2VEC_VOCAB_FILE,
    SentenceTransformerEncoder,
    Word2VecMeanEncoder,
    load_text_encoder,
)
from aacr_lib.retrieval.tokenize import UNK_TOKEN, clean_caption, expand_contractions
from tests.fabricate_text import write_google_news_word2vec

CAPTIONS = [
    "A dog barks loudly in the rain.",
    "Rain falls on a metal roof while thunder rumbles",
    "A car passes by on a wet road",
    "Birds are chirping in the early morning",
] * 4


def test_contractions_and_baseline_cleaning():
    assert expand_contractions("it's raining and they can't hear") == (
        "it is raining and they can not hear"
    )
    assert expand_contractions("The birds aren't singing, we've left") == (
        "The birds are not singing, we have left"
    )
    words = clean_caption("A dog's high-pitched bark. It's loud -- isn't it?")
    assert words == ["A", "dog", "high", "pitched", "bark", "It", "is", "loud", "is", "not", "it"]


def test_trained_word2vec_is_reproducible_and_saved_with_the_run(tmp_path):
    first = Word2VecMeanEncoder.train(CAPTIONS, vector_size=16, epochs=3, seed=1)
    second = Word2VecMeanEncoder.train(CAPTIONS, vector_size=16, epochs=3, seed=1)
    vectors = first.encode(CAPTIONS[:4])
    assert vectors.shape == (4, 16) and vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors, second.encode(CAPTIONS[:4]))
    # The mean of the word vectors (the period and case-kept words as the baseline splits them).
    words = first.tokens(CAPTIONS[0])
    assert words == ["A", "dog", "barks", "loudly", "in", "the", "rain"]
    expected = np.mean([first.vectors[w] for w in words], axis=0)
    np.testing.assert_allclose(vectors[0], expected, rtol=1e-6)
    # Unknown words: stem, then lower case, then the shared <UNK> vector.
    assert first.tokens("Dogs zebra LOUDLY") == ["dog", UNK_TOKEN, "loudly"]
    first.save(tmp_path / "text_encoder")
    reloaded = load_text_encoder(tmp_path / "text_encoder")
    np.testing.assert_array_equal(reloaded.encode(CAPTIONS[:4]), vectors)
    np.testing.assert_array_equal(reloaded.encode(["zebra"])[0], first.unk_vector)


def test_trained_word2vec_is_saved_without_pickle(tmp_path):
    encoder = Word2VecMeanEncoder.train(CAPTIONS, vector_size=16, epochs=3, seed=1)
    folder = tmp_path / "run" / "text_encoder"
    encoder.save(folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [ENCODER_FILE, WORD2VEC_FILE, WORD2VEC_VOCAB_FILE]
    )
    with open(folder / WORD2VEC_FILE, "rb") as handle:
        matrix = np.lib.format.read_array(handle, allow_pickle=False)
    assert matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix, encoder.vectors.vectors)
    reloaded = load_text_encoder(folder)
    assert reloaded.describe() == encoder.describe()
    assert reloaded.vectors.index_to_key == encoder.vectors.index_to_key
    words = encoder.vectors.index_to_key
    counts = [encoder.vectors.get_vecattr(w, "count") for w in words]
    assert [reloaded.vectors.get_vecattr(w, "count") for w in words] == counts
    np.testing.assert_array_equal(reloaded.encode(CAPTIONS), encoder.encode(CAPTIONS))


def test_an_old_pickled_word2vec_is_refused_with_the_fix(tmp_path):
    encoder = Word2VecMeanEncoder.train(CAPTIONS, vector_size=16, epochs=3, seed=1)
    folder = tmp_path / "retrieval-baseline-abc" / "text_encoder"
    encoder.save(folder)
    # what the old code wrote: gensim's pickle, no .npy
    encoder.vectors.save(str(folder / LEGACY_WORD2VEC_FILE))
    (folder / WORD2VEC_FILE).unlink()
    (folder / WORD2VEC_VOCAB_FILE).unlink()
    with pytest.raises(DataError, match=LEGACY_WORD2VEC_FILE) as error:
        load_text_encoder(folder)
    assert "retrain" in str(error.value) and str(folder.parent) in str(error.value)


def test_a_malformed_vector_file_is_a_data_error(tmp_path):
    encoder = Word2VecMeanEncoder.train(CAPTIONS, vector_size=16, epochs=3, seed=1)
    encoder.save(tmp_path)
    np.save(tmp_path / WORD2VEC_FILE, np.zeros((3, 16), dtype=np.float32))  # rows ≠ words
    with pytest.raises(DataError, match="one row for each"):
        load_text_encoder(tmp_path)
    (tmp_path / ENCODER_FILE).write_text("[1, 2]")
    with pytest.raises(DataError, match="JSON object"):
        load_text_encoder(tmp_path)


def test_a_saved_sentence_model_name_is_never_downloaded(tmp_path, monkeypatch):
    import sentence_transformers

    from aacr_lib.retrieval import text_encoders

    calls = []
    monkeypatch.setattr(
        sentence_transformers, "SentenceTransformer", lambda *a, **k: calls.append(a)
    )
    text_encoders.load_sentence_transformer.cache_clear()
    try:
        description = {"kind": "sentence_transformer", "model": "", "dim": 384}
        for model, error in [
            ("aacr-tests/not-cached-2b7e", PretrainedUnavailable),
            (str(tmp_path), DataError),
            ("../outside", DataError),
        ]:
            (tmp_path / ENCODER_FILE).write_text(json.dumps({**description, "model": model}))
            with pytest.raises(error):
                load_text_encoder(tmp_path)
    finally:
        text_encoders.load_sentence_transformer.cache_clear()
    assert calls == []


GOOGLE_NEWS_WORDS = ["A", "dog", "barks", "loudly", "in", "the", "rain", "Rain", "New_York"]


def _google_news_file():
    return assets.get("word2vec_google_news").directory() / assets.GOOGLE_NEWS_FILE


def test_google_news_loads_the_gensim_data_file_from_the_asset_cache(tmp_path):
    matrix = write_google_news_word2vec(_google_news_file(), GOOGLE_NEWS_WORDS)
    encoder = Word2VecMeanEncoder.google_news()
    assert encoder.dim == 300 and encoder.path == str(_google_news_file())
    assert encoder.vectors.index_to_key == GOOGLE_NEWS_WORDS
    np.testing.assert_array_equal(encoder.vectors.vectors, matrix)
    # the baseline's mean of the word vectors, case kept ("A", "Rain"), unknown words <UNK>
    words = encoder.tokens("A dog barks in the Rain, zebra!")
    assert words == ["A", "dog", "barks", "in", "the", "Rain", UNK_TOKEN]
    rows = [matrix[GOOGLE_NEWS_WORDS.index(w)] for w in words[:-1]] + [encoder.unk_vector]
    np.testing.assert_allclose(
        encoder.encode(["A dog barks in the Rain, zebra!"])[0], np.mean(rows, 0), rtol=1e-6
    )
    # a run records only the source: reloading reads the same cache file again
    encoder.save(tmp_path / "text_encoder")
    assert sorted(p.name for p in (tmp_path / "text_encoder").iterdir()) == [ENCODER_FILE]
    again = load_text_encoder(tmp_path / "text_encoder")
    np.testing.assert_array_equal(again.encode(CAPTIONS[:2]), encoder.encode(CAPTIONS[:2]))


def test_google_news_is_never_downloaded_and_names_aacr_setup(monkeypatch):
    import gensim.downloader
    import requests

    calls = []
    monkeypatch.setattr(gensim.downloader, "load", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(requests, "get", lambda *a, **k: calls.append(a))
    with pytest.raises(PretrainedUnavailable) as error:
        Word2VecMeanEncoder.google_news()
    message = str(error.value)
    assert "aacr setup word2vec_google_news" in message
    assert str(assets.get("word2vec_google_news").directory()) in message
    assert calls == []


def test_a_damaged_google_news_file_is_a_data_error():
    write_google_news_word2vec(_google_news_file(), GOOGLE_NEWS_WORDS)
    data = _google_news_file().read_bytes()
    _google_news_file().write_bytes(data[: len(data) // 2])  # cut short: gzip's end is missing
    with pytest.raises(DataError, match="aacr setup word2vec_google_news"):
        Word2VecMeanEncoder.google_news()


@pytest.mark.slow
def test_minilm_loads_offline_from_its_package(tmp_path):
    encoder = SentenceTransformerEncoder("all-MiniLM-L6-v2")
    vectors = encoder.encode(["a dog barks in the rain", "rain falls on a roof", "a dog barks"])
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-4)
    # Related captions are closer than unrelated ones.
    assert vectors[0] @ vectors[2] > vectors[1] @ vectors[2]
    encoder.save(tmp_path)
    assert load_text_encoder(tmp_path).dim == 384


@pytest.mark.slow
def test_sentence_vectors_are_shared_on_disk_between_processes(monkeypatch):
    """A second process (an empty in-memory cache) reads what the first encoded instead of
    running the model again; a new caption is encoded and merged into the file."""
    from aacr_lib.retrieval import text_encoders

    first = SentenceTransformerEncoder("all-MiniLM-L6-v2")
    monkeypatch.setattr(text_encoders, "_SENTENCE_VECTORS", {})  # as if in another process
    expected = first.encode(CAPTIONS[:3])
    stored = first._disk_cache()
    assert stored.path.parent == assets.cache_root() / text_encoders.TEXT_VECTORS_DIR
    assert set(stored.read()) == set(CAPTIONS[:3])

    monkeypatch.setattr(text_encoders, "_SENTENCE_VECTORS", {})
    second = SentenceTransformerEncoder("all-MiniLM-L6-v2")
    calls = []
    original = second.model.encode
    monkeypatch.setattr(
        second.model, "encode", lambda texts, **kw: calls.append(texts) or original(texts, **kw)
    )
    np.testing.assert_array_equal(second.encode(CAPTIONS[:3]), expected)
    assert calls == []  # nothing encoded again
    second.encode([CAPTIONS[3]])
    assert calls == [[CAPTIONS[3]]]
    assert set(stored.read()) == set(CAPTIONS[:4])


def test_an_unreadable_vector_file_is_ignored_and_rewritten(tmp_path):
    from aacr_lib.retrieval.text_encoders import TextVectorCache

    cache = TextVectorCache(tmp_path / "model.npz")
    cache.path.write_bytes(b"not a numpy file")
    assert cache.read() == {}
    cache.add({"a dog": np.ones(3, dtype=np.float32)})
    np.testing.assert_array_equal(cache.read()["a dog"], np.ones(3, dtype=np.float32))

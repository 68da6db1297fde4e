"""Baseline tokenisation, Word2Vec mean vectors (trained offline) and the sentence transformer."""

from __future__ import annotations

import numpy as np
import pytest

from aacr_lib.errors import PretrainedUnavailable
from aacr_lib.retrieval.text_encoders import (
    SentenceTransformerEncoder,
    Word2VecMeanEncoder,
    load_text_encoder,
)
from aacr_lib.retrieval.tokenize import UNK_TOKEN, clean_caption, expand_contractions

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


def test_google_news_offline_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("GENSIM_DATA_DIR", str(tmp_path))
    with pytest.raises(PretrainedUnavailable, match="word2vec-google-news-300"):
        Word2VecMeanEncoder.google_news(allow_download=False)


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

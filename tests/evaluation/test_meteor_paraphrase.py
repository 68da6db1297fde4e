"""METEOR's paraphrase table cut to a corpus: the index, the cut, and the same scores as the full
table (on sentences that exercise every change Meteor's `-norm` normaliser makes)."""

from __future__ import annotations

import gzip
import os

import numpy as np
import pytest

from aacr_lib.evaluation.functional.meteor import (
    FilteredParaphrases,
    MeteorError,
    MeteorProcess,
    ParaphraseIndex,
    paraphrase_index,
    score_lines,
)

# probability, reference phrase, paraphrase; CRLF and a tab (StringTokenizer splits there)
TABLE = (
    "0.5\r\na car\r\na vehicle\r\n"
    "0.4\r\na car\r\nthe\tcar\r\n"
    "0.3\r\na car\r\nan automobile\r\n"
    "0.2\r\nus\r\namerican\r\n"
    "0.1\r\nloud\r\n\r\n"  # an empty paraphrase
    "0.1\r\nzebra\r\nhorse\r\n"
    "0.1\r\nvehicle\r\ncar"  # the last line without a line break
)


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "paraphrase-en.gz"
    path.write_bytes(gzip.compress(TABLE.encode("utf-8")))
    return path


def _entries(filtered: FilteredParaphrases) -> list[tuple[str, str]]:
    lines = gzip.decompress(filtered.gzipped).decode("utf-8").split("\n")
    assert lines[-1] == "" and len(lines) % 3 == 1
    return [(lines[i + 1], lines[i + 2]) for i in range(0, len(lines) - 1, 3)]


def test_the_cut_keeps_the_entries_made_of_the_words_in_table_order(table):
    index = ParaphraseIndex.build(table)
    assert index.n_entries == 7
    assert index.max_word_length == len("automobile")
    cut = index.filtered(frozenset({"a", "car", "vehicle", "the", "loud", "us"}))
    assert _entries(cut) == [
        ("a car", "a vehicle"),
        ("a car", "the car"),
        ("loud", ""),
        ("vehicle", "car"),
    ]
    assert cut.n_entries == 4
    assert cut.covers(frozenset({"a", "car"})) and not cut.covers(frozenset({"zebra"}))
    assert not cut.covers(None)  # a corpus that needs the full table
    assert index.filtered(frozenset()).n_entries == 0


def test_the_index_is_saved_and_loaded_for_the_same_table_only(table, tmp_path):
    index = ParaphraseIndex.build(table)
    saved = tmp_path / "cache" / "index.npz"
    index.save(saved, table.stat())
    loaded = ParaphraseIndex.load(saved, table.stat())
    assert loaded is not None and loaded.words == index.words
    words = frozenset(index.words)
    assert loaded.filtered(words) == index.filtered(words)
    os.utime(table, ns=(0, 0))  # another table (or version): not used
    assert ParaphraseIndex.load(saved, table.stat()) is None
    assert ParaphraseIndex.load(tmp_path / "missing.npz", table.stat()) is None


def test_a_cut_table_file_is_refused(tmp_path):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(b"0.5\na car\na vehicle\n0.4\na car\n"))
    with pytest.raises(MeteorError, match="cut"):
        ParaphraseIndex.build(path)


def test_corpus_words_cover_what_the_normaliser_can_make(table):
    index = ParaphraseIndex.build(table)
    [line] = score_lines(["the u.s. car"], [["a vehicle--zebra"]])
    words = index.corpus_words([line])
    # "u.s." -> "us"; substrings: "a" of "car", "car" of "vehicle"-less pieces
    assert {"us", "car", "a", "vehicle", "zebra", "the"} <= words
    assert "horse" not in words and "american" not in words
    assert index.corpus_words(["SCORE ||| A Car ||| a vehicle\n"]) is None  # needs Java's lower()


@pytest.mark.java
@pytest.mark.slow
def test_a_cut_table_scores_exactly_as_the_full_table():
    # every kind of change the normaliser makes, and paraphrases that match
    candidates = [
        "the u.s. army band plays while a car honks",
        "a dog's bark -- loud and clear",
        "dog–barking ‘loudly’ “outside” ''quoted''",
        "rain ... falls. on the roof...",
        "e.g. birds chirp, twitter & sing; 1,000 people cheer!",
        "a well-known song is sung can't stop won't stop",
        "naïve café noises and a собака лает",
        "people are talking loudly",
        "",
    ]
    references = [
        ["american troops' band is playing and a vehicle beeps", "the us army plays"],
        ["a dog is barking loudly", "dogs bark loud and clear"],
        ["a dog barks loudly outside", "`quoted' dog barking"],
        ["rain falls on the roof", "the roof is wet...."],
        ["birds sing and people clap", "1000 people are cheering"],
        ["a known song is sung", "they can not stop singing"],
        ["noises in a cafe", "a dog barks"],
        ["people talk ||| loudly", "persons are talking loud"],  # "|||" splits a reference
        ["silence"],
    ]
    lines = score_lines(candidates, references)
    index = paraphrase_index()
    words = index.corpus_words(lines)
    assert words is not None
    cut = index.filtered(words)
    assert 0 < cut.n_entries < index.n_entries // 1000
    with MeteorProcess(paraphrases=cut) as process:
        cut_scores = process.score(candidates, references)
    with MeteorProcess() as process:
        full_scores = process.score(candidates, references)
    assert cut_scores[2] == full_scores[2]  # the statistics lines
    assert cut_scores[0] == full_scores[0]
    assert np.array_equal(cut_scores[1], full_scores[1])
    paraphrase_matches = np.array([[float(x) for x in s.split()] for s in full_scores[2]])
    assert paraphrase_matches[:, 16:20].sum() > 0  # the paraphrase module matched something

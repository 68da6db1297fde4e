from aacr_lib.data.clotho import read_clotho
from aacr_lib.data.stats import dataset_statistics, word_frequencies


def test_statistics_of_a_clotho_layout_directory(tiny_clothomix):
    stats = dataset_statistics(tiny_clothomix)
    splits = read_clotho(tiny_clothomix)
    summary = stats["summary"]
    assert list(summary.index) == ["development", "validation", "evaluation"]
    for split, items in splits.items():
        assert summary.loc[split, "clips"] == len(items)
        assert summary.loc[split, "captions"] == 5 * len(items)
    assert (stats["clips"]["duration_s"] > 0).all()
    # caption lengths are counted after the DCASE normalisation (no punctuation)
    assert not stats["captions"]["caption"].str.contains(r"[.,!?]").any()
    assert stats["events"] is not None and {"label", "onset", "offset"} <= set(stats["events"])


def test_word_frequencies_counts_words():
    import pandas as pd

    captions = pd.DataFrame({"caption": ["a dog barks", "a dog runs", "rain"]})
    top = word_frequencies(captions, top=2)
    assert top.to_dict("records") == [{"word": "a", "count": 2}, {"word": "dog", "count": 2}]

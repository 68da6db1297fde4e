from aacr_lib.data.clotho import read_clotho
from aacr_lib.data.stats import dataset_statistics, event_counts, word_frequencies


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


def test_event_counts_counts_foreground_events_per_clip_and_label():
    import pandas as pd

    rows = [
        ("development", "a.wav", "rain", "background"),
        ("development", "a.wav", "dog", "event"),
        ("development", "a.wav", "bird", "event"),
        ("development", "a.wav", "dog", "event"),
        ("development", "b.wav", "wind", "background"),  # background only: not a row
        ("validation", "a.wav", "dog", "event"),  # same name, other split: its own row
    ]
    events = pd.DataFrame(rows, columns=["split", "file_name", "label", "kind"])
    events["onset"], events["offset"] = 0.0, 1.0
    per_clip, labels = event_counts(events)
    assert per_clip.to_dict("records") == [
        {"split": "development", "file_name": "a.wav", "occurrences": 3},
        {"split": "validation", "file_name": "a.wav", "occurrences": 1},
    ]
    # background labels are not events; most frequent first
    assert labels.to_dict("records") == [
        {"label": "dog", "count": 3},
        {"label": "bird", "count": 1},
    ]


def test_event_counts_of_a_clothomix_tree_add_up(tiny_clothomix):
    events = dataset_statistics(tiny_clothomix)["events"]
    per_clip, labels = event_counts(events)
    foreground = (events["kind"] == "event").sum()
    assert per_clip["occurrences"].sum() == labels["count"].sum() == foreground > 0
    assert (per_clip["occurrences"] >= 1).all()
    assert set(labels["label"]) == set(events.loc[events["kind"] == "event", "label"])

"""Dataset statistics for the data chapter: durations, caption lengths, vocabulary, events."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from aacr_lib.audio import audio_info
from aacr_lib.data.clotho import SPLITS, ClothoItem, read_clotho
from aacr_lib.data.text import normalize_caption


def caption_table(items: Sequence[ClothoItem]) -> pd.DataFrame:
    """One row per caption: split, file name, caption index, normalised text, word count."""
    rows = []
    for item in items:
        for index, caption in enumerate(item.captions, 1):
            text = normalize_caption(caption)
            rows.append(
                {
                    "split": item.split,
                    "file_name": item.file_name,
                    "caption_index": index,
                    "caption": text,
                    "words": len(text.split()),
                }
            )
    return pd.DataFrame(rows)


def clip_table(items: Sequence[ClothoItem]) -> pd.DataFrame:
    """One row per clip: split, file name, duration, sample rate and channels of the file."""
    rows = []
    for item in items:
        info = audio_info(item.audio_path)
        rows.append(
            {
                "split": item.split,
                "file_name": item.file_name,
                "duration_s": info.duration,
                "sample_rate": info.sample_rate,
                "channels": info.channels,
            }
        )
    return pd.DataFrame(rows)


def event_table(root: str | os.PathLike) -> pd.DataFrame | None:
    """ClothoMix ground-truth events (`clothomix_events_{split}.csv`); None for real Clotho."""
    frames = []
    for split in SPLITS:
        path = Path(root) / f"clothomix_events_{split}.csv"
        if path.is_file():
            frames.append(pd.read_csv(path).assign(split=split))
    return pd.concat(frames, ignore_index=True) if frames else None


def event_counts(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How often the foreground sound events occur, per clip and per label.

    `events` is an `event_table` (columns `split`, `file_name`, `label`, `kind`, ...). Only rows
    of kind `event` count; background rows are ignored. Returns `(per_clip, labels)`:

    - `per_clip`: one row per (split, file name) with at least one event, and its number of
      event occurrences in `occurrences` (clips without events do not appear);
    - `labels`: columns `label` and `count`, the occurrences of each label over all clips and
      splits, most frequent first.
    """
    foreground = events[events["kind"] == "event"]
    per_clip = foreground.groupby(["split", "file_name"]).size().rename("occurrences").reset_index()
    labels = foreground["label"].value_counts().rename_axis("label").reset_index(name="count")
    return per_clip, labels


def split_summary(clips: pd.DataFrame, captions: pd.DataFrame) -> pd.DataFrame:
    """Per-split summary table: clips, hours, clip length, captions, caption length, vocabulary."""
    rows = []
    for split in [s for s in SPLITS if s in set(clips["split"])]:
        split_clips = clips[clips["split"] == split]
        split_captions = captions[captions["split"] == split]
        vocabulary = {word for text in split_captions["caption"] for word in text.split()}
        rows.append(
            {
                "split": split,
                "clips": len(split_clips),
                "hours": split_clips["duration_s"].sum() / 3600,
                "clip length (s), mean": split_clips["duration_s"].mean(),
                "captions": len(split_captions),
                "words per caption, mean": split_captions["words"].mean(),
                "words per caption, min": split_captions["words"].min(),
                "words per caption, max": split_captions["words"].max(),
                "vocabulary": len(vocabulary),
            }
        )
    return pd.DataFrame(rows).set_index("split")


def word_frequencies(captions: pd.DataFrame, top: int = 25) -> pd.DataFrame:
    """The `top` most frequent words of the normalised captions, with counts."""
    counts = Counter(word for text in captions["caption"] for word in text.split())
    return pd.DataFrame(counts.most_common(top), columns=["word", "count"])


def dataset_statistics(root: str | os.PathLike) -> dict[str, pd.DataFrame | None]:
    """Everything the data chapter shows, computed from a Clotho-layout directory."""
    splits = read_clotho(root)
    items = [item for split in SPLITS for item in splits.get(split, [])]
    clips = clip_table(items)
    captions = caption_table(items)
    return {
        "summary": split_summary(clips, captions),
        "clips": clips,
        "captions": captions,
        "words": word_frequencies(captions),
        "events": event_table(root),
    }


# Clips per split as the report states them (its section 4, "Dataset") and as Clotho v2.1 is
# published (Zenodo 4783391; the evaluation split has 1,045 clips, not the report's 2,088).
REPORT_CLIPS = {"development": 3840, "validation": 1046, "evaluation": 2088}
CLOTHO_V21_CLIPS = {"development": 3839, "validation": 1045, "evaluation": 1045}


def split_sizes(summary: pd.DataFrame, dataset_name: str) -> pd.DataFrame:
    """Clips per split: the report's numbers (quoted), Clotho v2.1's published sizes, and the
    ones counted in this data (`split_summary`)."""
    counted = summary["clips"].to_dict() if "clips" in summary else {}
    frame = pd.DataFrame(
        {
            "report (quoted, section 4)": REPORT_CLIPS,
            "Clotho v2.1 (published)": CLOTHO_V21_CLIPS,
            f"{dataset_name} here (counted)": {s: counted.get(s) for s in SPLITS},
        }
    )
    frame.index.name = "split"
    return frame


def recording_splits(bank=None) -> pd.DataFrame:
    """ClothoMix's split rule at work: per label of the sound bank, its kind and how many
    distinct source recordings serve each split (`aacr_lib.data.clothomix.bank`); labels
    with fewer than `MIN_RECORDINGS` are development-only."""
    from aacr_lib.data.clothomix.bank import MIN_RECORDINGS, SPLIT_NAMES, load_bank

    bank = bank if bank is not None else load_bank()
    rows = []
    for kind in ("background", "event"):
        for label in bank.labels(kind):
            splits = Counter(bank.recordings(label).values())
            total = sum(splits.values())
            rows.append(
                {
                    "label": label,
                    "kind": kind,
                    "files": len(bank.variants(label)),
                    "recordings": total,
                    **{split: splits.get(split, 0) for split in SPLIT_NAMES},
                    "held out": "yes" if total >= MIN_RECORDINGS else "development only",
                }
            )
    return pd.DataFrame(rows).set_index("label")


def development_only_sentence(recordings: pd.DataFrame) -> str:
    """Which labels of `recording_splits` occur in development only, as a sentence."""
    held = recordings[recordings["held out"] != "yes"]
    if held.empty:
        return "Every label of the bank has recordings in all three splits."
    names = ", ".join(label.replace("_", " ") for label in held.index)
    return (
        f"Development only (fewer than three distinct recordings): {names}. Validation and "
        "evaluation clips never contain these sounds."
    )

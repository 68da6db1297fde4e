"""Sound-event vectors as an extra input: one data path for both tasks.

A run whose `data.events.source` is not "none" reads, per clip, its audio features joined with
the event probabilities of its source, aligned to the features' frames
(`encodings.align_frames`: each feature frame takes the highest probability of the event
frames it overlaps): `[frames, feature dim + 527]`. Captioning gives the last 527 columns to
the model's per-frame extra input; retrieval reduces them to the clip's multi-hot vector (a
class is present where its highest probability reaches `data.events.threshold`, which is
`encodings.multi_hot` of the clip, as the alignment keeps every maximum).

Why the probabilities rather than the index of the most probable class per frame (the
report's literal proposal): sound events overlap (ClothoMix puts a foreground event over a
background; real recordings more so), and a single index per frame keeps one of them; the
probabilities keep all of them and the source's confidence. A linear layer over the joined
vector (the captioning adapter) can still learn a per-class embedding from them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from aacr_lib.data.config import EventInputConfig
from aacr_lib.events.config import EventsConfig, events_config
from aacr_lib.events.encodings import align_frames
from aacr_lib.events.vocabulary import NUM_CLASSES
from aacr_lib.features.splits import CachedFeatures, SplitData

EVENT_DIM = NUM_CLASSES


def source_config(events: EventInputConfig) -> EventsConfig:
    """The events cache config of a run's `data.events` (source, time grid, tagger run)."""
    fields: dict = {"hop_seconds": events.hop_seconds}
    if events.source == "tagger":
        fields["run"] = events.tagger_run
    return events_config(events.source, **fields)


class EventJoinedFeatures:
    """A split's features with its event probabilities joined per frame (picklable, like
    `CachedFeatures`, whose `dim`, indexing and calling it mirrors)."""

    def __init__(self, features: CachedFeatures, events_path: str | os.PathLike) -> None:
        self.features = features
        self.events = CachedFeatures(events_path)

    @property
    def dim(self) -> int:
        return self.features.dim + EVENT_DIM

    def __getitem__(self, file_name: str) -> np.ndarray:
        features = np.asarray(self.features[file_name], dtype=np.float32)
        events = align_frames(np.asarray(self.events[file_name]), len(features))
        return np.concatenate([features, events.astype(np.float32)], axis=1)

    def __call__(self, item):
        return self[item.file_name]


def with_event_inputs(
    split: SplitData,
    data_dir: str | os.PathLike,
    events: EventInputConfig,
    device: str = "cpu",
    progress: bool = True,
) -> SplitData:
    """`split` with its event probabilities joined (the events cache built first, resumably);
    `split` itself when the run has no event input."""
    if not events.enabled:
        return split
    from aacr_lib.events.cache import build_events_cache

    path = build_events_cache(
        Path(data_dir), source_config(events), split.name, progress=progress, device=device
    )
    return SplitData(split.name, split.items, EventJoinedFeatures(split.features, path))


def split_event_columns(frames, events: EventInputConfig):
    """(audio features, event probabilities) of joined `[..., dim + 527]` frames (arrays or
    tensors); (frames, None) for a run without event input."""
    if not events.enabled:
        return frames, None
    return frames[..., :-EVENT_DIM], frames[..., -EVENT_DIM:]


def load_splits(
    data_dir: str | os.PathLike,
    data,
    splits=None,
    accelerator=None,
    progress: bool = True,
) -> dict[str, SplitData]:
    """`aacr_lib.features.splits.load_splits` with each split's event probabilities joined
    when `data.events` asks for them (what both tasks train and evaluate on)."""
    from aacr_lib.features.splits import load_splits as load_feature_splits

    loaded = load_feature_splits(data_dir, data, splits, accelerator=accelerator, progress=progress)
    device = str(getattr(accelerator, "device", "cpu"))
    return {
        name: with_event_inputs(split, data_dir, data.events, device=device, progress=progress)
        for name, split in loaded.items()
    }


def load_split(
    data_dir: str | os.PathLike, data, split: str, progress: bool = True, device: str = "cpu"
) -> SplitData:
    """`aacr_lib.features.splits.load_split` with its event probabilities joined (see
    `load_splits`)."""
    from aacr_lib.features.splits import load_split as load_feature_split

    loaded = load_feature_split(data_dir, data, split, progress=progress, device=device)
    return with_event_inputs(loaded, data_dir, data.events, device=device, progress=progress)


PANNS_ASSET = "panns_cnn14_decision_level_max"
STRONG_LABELS_DATASET = "clothomix"


def missing_event_inputs(data) -> list:
    """Why a run's `data.events` cannot be had on this machine (`PretrainedUnavailable`s: the
    tasks show them as n/a rows): PANNs weights not downloaded; ground-truth events (the
    oracle, and the tagger trained on them) asked of a dataset without strong labels (Clotho
    has none: there, sound events come from PANNs)."""
    from aacr_lib import assets
    from aacr_lib.errors import PretrainedUnavailable

    events = data.events
    if events.source == "panns":
        try:
            assets.require(PANNS_ASSET)
        except PretrainedUnavailable as exc:
            return [exc]
    if events.source in ("oracle", "tagger") and data.dataset != STRONG_LABELS_DATASET:
        return [
            PretrainedUnavailable(
                f"sound-event labels for the {events.source} source",
                f"the {data.dataset} dataset (it has no clothomix_events_*.csv)",
                "only ClothoMix has strong labels; on Clotho use data.events.source=panns",
                reason="the oracle and the tagger need frame-level sound-event labels",
            )
        ]
    return []

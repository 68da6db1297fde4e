"""Sound-event vectors (AudioSet's 527 classes) as extra inputs of captioning and retrieval.

Three sources behind one interface, each a feature kind whose `[frames, 527]` probabilities
are cached like audio features, on one time grid (0.32 s by default):

- `panns`: PANNs Cnn14_DecisionLevelMax, trained on AudioSet (`aacr setup
  panns_cnn14_decision_level_max`);
- `tagger`: a small tagger trained here (`aacr_lib.tagging`, which registers its kind);
- `oracle`: ClothoMix's ground truth (`clothomix_events_{split}.csv`), what a perfect tagger
  would give.

    from aacr_lib.events import build_events_cache, events_config, load_events
    config = events_config("oracle")
    build_events_cache("data/clothomix", config, "development")
    vectors = load_events("data/clothomix", config, "development")   # file name -> [T, 527]

`encodings` turns probabilities into model inputs (aligned frames, a class per frame,
multi-hot) and into detected events. Importing this package registers `events_oracle` and
`events_panns` with `aacr_lib.features.registry`.
"""

from __future__ import annotations

from aacr_lib.events.cache import (
    build_events_cache,
    events_cache_path,
    load_events,
    open_events_cache,
    register_event_kinds,
)
from aacr_lib.events.config import (
    SOURCES,
    EventInputConfig,
    EventsConfig,
    OracleEventsConfig,
    PannsEventsConfig,
    TaggerEventsConfig,
    events_config,
)
from aacr_lib.events.encodings import (
    DetectedEvent,
    align_frames,
    detected_events,
    frame_probabilities,
    most_probable_class,
    multi_hot,
)
from aacr_lib.events.vocabulary import (
    AUDIOSET_CLASSES,
    AUDIOSET_MIDS,
    NO_EVENT,
    NUM_CLASSES,
    class_index,
    clothomix_class_indices,
    clothomix_classes,
    clothomix_mapping,
)

register_event_kinds()

__all__ = [
    "AUDIOSET_CLASSES",
    "AUDIOSET_MIDS",
    "NO_EVENT",
    "NUM_CLASSES",
    "SOURCES",
    "DetectedEvent",
    "EventInputConfig",
    "EventsConfig",
    "OracleEventsConfig",
    "PannsEventsConfig",
    "TaggerEventsConfig",
    "align_frames",
    "build_events_cache",
    "class_index",
    "clothomix_class_indices",
    "clothomix_classes",
    "clothomix_mapping",
    "detected_events",
    "events_cache_path",
    "events_config",
    "frame_probabilities",
    "load_events",
    "most_probable_class",
    "multi_hot",
    "open_events_cache",
    "register_event_kinds",
]

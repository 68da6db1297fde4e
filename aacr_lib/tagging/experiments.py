"""The tagging experiments and their sizes per profile, in the shared registry's shape.

One experiment, `tagger`: the CRNN tagger of `TaggingConfig`, trained on ClothoMix's strong
labels (the only data that has them). It is the source of the `events_tagger` sound-event
vectors (`aacr_lib.tagging.inference`), beside PANNs (pretrained on AudioSet) and the ground
truth itself (`aacr_lib.events.oracle`).

Profiles: `demo` (ClothoMix, up to 20 epochs with early stopping; well under a minute on a
2-core CPU), `smoke` (the demo on tiny data, one step; tests) and `clotho`, which has no tagger:
Clotho v2.1 has captions but no onsets and offsets to train one on, so its runs refuse to start
(`run.missing_requirements`) and its sound-event vectors come from PANNs.
"""

from __future__ import annotations

from typing import Any

from aacr_lib.data.clothomix.generate import CLOTHOMIX_VERSION
from aacr_lib.experiments import Experiment, ExperimentSet
from aacr_lib.tagging.config import TaggingConfig, validate_config

TASK = "tagging"

CLOTHO_PROFILE: dict[str, Any] = {"data": {"dataset": "clotho"}}

DEMO_PROFILE: dict[str, Any] = {
    "data": {"dataset": "clothomix", "version": CLOTHOMIX_VERSION},
    # Trained to a plateau: the learning rate drops tenfold after 2 epochs without a 1 % lower
    # validation loss, training stops after 3; 20 at most.
    "training": {
        "epochs": 20,
        "plateau_patience": 2,
        "early_stopping_patience": 3,
        "early_stopping_min_delta": 0.02,
    },
}

SMOKE_PROFILE: dict[str, Any] = {
    **DEMO_PROFILE,
    "model": {"channels": [4, 8, 8], "rnn_hidden": 8},
    "training": {**DEMO_PROFILE["training"], "epochs": 1, "max_steps_per_epoch": 1},
}

PROFILE_OVERLAYS: dict[str, dict[str, Any]] = {
    "clotho": CLOTHO_PROFILE,
    "demo": DEMO_PROFILE,
    "smoke": SMOKE_PROFILE,
}

PROFILE_DESCRIPTIONS = {
    "clotho": (
        "not available: Clotho v2.1 has no strong labels to train a tagger on (its sound-event "
        "vectors come from PANNs)"
    ),
    "demo": (
        "ClothoMix's strong labels, a CRNN (channels 16-32-64, BiGRU 64) on 16 kHz log-mel, "
        "0.32 s frames, up to 20 epochs with early stopping (patience 3, on the validation loss)"
    ),
    "smoke": "the demo profile on tiny data, one training step (tests only)",
}

EXPERIMENTS: dict[str, Experiment] = {
    "baseline": Experiment(
        "baseline",
        "Sound-event tagger",
        "a CRNN trained on ClothoMix's strong labels: frame-level BCE on the 0.32 s grid over "
        "the AudioSet classes ClothoMix uses (the future-work issue's trained event source)",
    ),
}

EXPERIMENT_SET = ExperimentSet(
    TASK,
    TaggingConfig,
    PROFILE_OVERLAYS,
    PROFILE_DESCRIPTIONS,
    EXPERIMENTS,
    validate=validate_config,
)
get_experiment = EXPERIMENT_SET.get
resolve_config = EXPERIMENT_SET.resolve

"""Sound-event vectors as an extra input of both tasks: `aacr_lib.events.inputs`, the
captioning collate and model, the retrieval model's event branch, and toy-size training of
an events experiment of each task on a generated ClothoMix (the oracle source)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aacr_lib.data.config import DataConfig, EventInputConfig
from aacr_lib.errors import ConfigError, PretrainedUnavailable
from aacr_lib.events.inputs import (
    EVENT_DIM,
    EventJoinedFeatures,
    missing_event_inputs,
    split_event_columns,
)
from aacr_lib.models.retrieval.model import clip_multi_hot


class FakeFeatures:
    """`CachedFeatures`' reading side over a dict."""

    def __init__(self, arrays):
        self.arrays = arrays

    @property
    def dim(self):
        return next(iter(self.arrays.values())).shape[1]

    def __getitem__(self, name):
        return self.arrays[name]


def test_joined_features_align_the_events_to_the_feature_frames(monkeypatch):
    """Four feature frames over eight event frames: each feature frame takes the highest
    probability of the two event frames it covers, after the audio columns."""
    events = np.zeros((8, EVENT_DIM), dtype=np.float32)
    events[1, 3] = 0.9  # in feature frame 0
    events[6, 10] = 0.4  # in feature frame 3
    joined = EventJoinedFeatures.__new__(EventJoinedFeatures)
    joined.features = FakeFeatures({"a.wav": np.ones((4, 2), dtype=np.float32)})
    joined.events = FakeFeatures({"a.wav": events})
    frames = joined["a.wav"]
    assert frames.shape == (4, 2 + EVENT_DIM) and joined.dim == 2 + EVENT_DIM
    audio, probabilities = split_event_columns(frames, EventInputConfig(source="oracle"))
    assert np.array_equal(audio, np.ones((4, 2)))
    assert probabilities[0, 3] == pytest.approx(0.9) and probabilities[1:, 3].max() == 0
    assert probabilities[3, 10] == pytest.approx(0.4) and probabilities[:3, 10].max() == 0
    assert split_event_columns(frames, EventInputConfig())[1] is None


def test_the_oracle_and_the_tagger_need_strong_labels_panns_its_weights():
    clotho = DataConfig(dataset="clotho", events=EventInputConfig(source="oracle"))
    (reason,) = missing_event_inputs(clotho)
    assert isinstance(reason, PretrainedUnavailable) and "source=panns" in str(reason)
    assert (
        missing_event_inputs(DataConfig(dataset="clothomix", events=EventInputConfig("oracle")))
        == []
    )
    (weights,) = missing_event_inputs(DataConfig(events=EventInputConfig(source="panns")))
    assert "aacr setup panns_cnn14_decision_level_max" in str(weights)
    with pytest.raises(ConfigError, match="data.events.source"):
        EventInputConfig(source="clap").validate()


def test_clip_multi_hot_ignores_padding_and_applies_the_threshold():
    events = torch.zeros(2, 3, 4)
    events[0, 0, 1] = 0.7
    events[0, 2, 2] = 0.9  # padding of clip 0 (length 2): ignored
    events[1, 2, 3] = 0.5
    lengths = torch.tensor([2, 3])
    assert clip_multi_hot(events, lengths, 0.5).tolist() == [[0, 1, 0, 0], [0, 0, 0, 1]]


def test_the_retrieval_event_branch_starts_neutral_and_learns_from_the_vector():
    from aacr_lib.models.retrieval import AudioTextModel, CRNNEncoder

    torch.manual_seed(0)
    encoder = CRNNEncoder(in_dim=64, out_dim=8, channels=(2, 2, 2, 2, 2))
    plain = AudioTextModel(encoder, 8, 8).eval()
    with_events = AudioTextModel(encoder, 8, 8, event_dim=EVENT_DIM).eval()
    audio = torch.randn(2, 40, 64)
    events = torch.zeros(2, 40, EVENT_DIM)
    events[0, 5, 7] = 1.0
    joined = torch.cat([audio, events], dim=-1)
    with torch.no_grad():
        assert torch.allclose(with_events.encode_audio(joined), plain.encode_audio(audio))
        with_events.event_branch.weight[:, 7] = 1.0
        moved = with_events.encode_audio(joined)
    assert not torch.allclose(moved[0], plain.encode_audio(audio)[0])
    assert torch.allclose(moved[1], plain.encode_audio(audio)[1])  # clip 1 has no event


def test_the_captioning_collate_gives_the_event_columns_to_the_extra_input():
    from aacr_lib.captioning.data import CaptionCollate

    frames = np.concatenate([np.ones((3, 4)), np.full((3, EVENT_DIM), 0.5)], axis=1)
    collate = CaptionCollate(tokenizer=None, max_frames=10, max_length=8, extra_input_dim=EVENT_DIM)
    batch = collate([(frames.astype(np.float32), ("a", "b"), "x.wav")])
    assert batch["features"].shape == (1, 3, 4) and batch["extra_inputs"].shape == (1, 3, EVENT_DIM)
    assert torch.all(batch["extra_inputs"] == 0.5)


@pytest.mark.slow
def test_events_experiments_of_both_tasks_train_on_the_oracle(tiny_clothomix, tmp_path):
    """Toy-size training, at the smoke profile, of the final captioner and the retrieval
    baseline with ClothoMix's true events: the runs record the source, the captioner's model
    takes 527 extra values per frame, and the retrieval model has its event branch."""
    from aacr_lib.captioning.run import train_captioning
    from aacr_lib.retrieval.inference import load_trained
    from aacr_lib.retrieval.run import train_retrieval

    runs = tmp_path / "runs"
    captioner = train_captioning(
        "final_events_oracle", "smoke", data_dir=tiny_clothomix, runs_root=runs, progress=False
    )
    assert captioner.complete
    config = captioner.config()
    assert config["data"]["events"]["source"] == "oracle"
    assert config["model"]["extra_input_dim"] == EVENT_DIM
    assert "cider_d" in captioner.metrics()
    retrieval = train_retrieval(
        "baseline_events_oracle", "smoke", data_dir=tiny_clothomix, runs_root=runs, progress=False
    )
    assert retrieval.complete and "r10" in retrieval.metrics()
    assert load_trained(retrieval).model.event_branch is not None

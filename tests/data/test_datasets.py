import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from aacr_lib.data.clotho import ClothoItem, read_split
from aacr_lib.data.datasets import (
    AudioLoader,
    CaptionPairDataset,
    ClipDataset,
    collate_padded,
    make_collate,
)
from aacr_lib.data.text import normalize_caption


def make_items(lengths, captions_per_clip=5):
    return [
        ClothoItem(
            f"clip{i}.wav",
            Path(f"clip{i}.wav"),
            tuple(f"Caption {j} of clip {i}." for j in range(captions_per_clip)),
            "development",
        )
        for i in range(len(lengths))
    ]


class FakeFeatures:
    """load_input: clip i gives a [lengths[i], dim] array filled with i + 1."""

    def __init__(self, lengths, dim=4):
        self.lengths = {f"clip{i}.wav": n for i, n in enumerate(lengths)}
        self.dim = dim
        self.calls = []

    def __call__(self, item):
        self.calls.append(item.file_name)
        index = int(item.file_name[4:-4])
        return np.full((self.lengths[item.file_name], self.dim), index + 1, dtype=np.float32)


def test_caption_pairs_all():
    lengths = [3, 5]
    dataset = CaptionPairDataset(make_items(lengths), FakeFeatures(lengths))
    assert len(dataset) == 10
    data, caption, name = dataset[6]
    assert name == "clip1.wav"
    assert caption == "Caption 1 of clip 1."
    assert data.shape == (5, 4) and data[0, 0] == 2
    # Every (clip, caption) pair exactly once.
    assert {(dataset[k].file_name, dataset[k].caption) for k in range(len(dataset))} == {
        (f"clip{i}.wav", f"Caption {j} of clip {i}.") for i in range(2) for j in range(5)
    }


def test_caption_pairs_first_and_transforms():
    lengths = [3, 5, 2]
    dataset = CaptionPairDataset(
        make_items(lengths),
        FakeFeatures(lengths),
        captions="first",
        transform=lambda x: x * 10,
        caption_transform=normalize_caption,
    )
    assert len(dataset) == 3
    example = dataset[2]
    assert example.caption == "caption 0 of clip 2"
    assert example.input[0, 0] == 30
    with pytest.raises(ValueError):
        CaptionPairDataset([], FakeFeatures([]), captions="some")


def test_clips_without_captions_give_no_pairs():
    items = make_items([3, 4], captions_per_clip=0)
    assert len(CaptionPairDataset(items, FakeFeatures([3, 4]))) == 0
    assert len(CaptionPairDataset(items, FakeFeatures([3, 4]), captions="first")) == 0


def test_clip_dataset():
    lengths = [3, 5]
    dataset = ClipDataset(make_items(lengths), FakeFeatures(lengths))
    assert len(dataset) == 2
    data, captions, name = dataset[1]
    assert name == "clip1.wav" and data.shape == (5, 4)
    assert captions == tuple(f"Caption {j} of clip 1." for j in range(5))


def test_collate_pads_and_masks():
    lengths = [3, 5, 1]
    dataset = CaptionPairDataset(make_items(lengths), FakeFeatures(lengths), captions="first")
    batch = collate_padded([dataset[i] for i in range(3)])
    assert batch["inputs"].shape == (3, 5, 4)
    assert batch["inputs"].dtype == torch.float32
    assert batch["lengths"].tolist() == [3, 5, 1]
    assert batch["mask"].dtype == torch.bool
    assert batch["mask"].sum(1).tolist() == [3, 5, 1]
    assert batch["mask"][0].tolist() == [True, True, True, False, False]
    # Padding is zero, real frames untouched.
    assert torch.all(batch["inputs"][0, 3:] == 0) and torch.all(batch["inputs"][0, :3] == 1)
    assert batch["captions"] == [
        "Caption 0 of clip 0.",
        "Caption 0 of clip 1.",
        "Caption 0 of clip 2.",
    ]
    assert batch["file_names"] == ["clip0.wav", "clip1.wav", "clip2.wav"]


def test_collate_clip_batches_keep_caption_tuples():
    lengths = [2, 4]
    dataset = ClipDataset(make_items(lengths), FakeFeatures(lengths))
    batch = collate_padded([dataset[0], dataset[1]])
    assert isinstance(batch["captions"], list) and len(batch["captions"][1]) == 5


def test_max_frames_crop_start_and_random():
    long = np.arange(40, dtype=np.float32).reshape(20, 2)
    short = np.ones((3, 2), dtype=np.float32)
    batch = collate_padded([(long, "a", "x"), (short, "b", "y")], max_frames=8)
    assert batch["inputs"].shape == (2, 8, 2)
    assert batch["lengths"].tolist() == [8, 3]
    assert torch.equal(batch["inputs"][0], torch.from_numpy(long[:8]))

    torch.manual_seed(0)
    starts = set()
    for _ in range(20):
        out = collate_padded([(long, "a", "x")], max_frames=8, crop="random")
        window = out["inputs"][0]
        start = int(window[0, 0].item()) // 2
        assert torch.equal(window, torch.from_numpy(long[start : start + 8]))
        starts.add(start)
    assert len(starts) > 1
    with pytest.raises(ValueError):
        collate_padded([(long, "a", "x")], crop="middle")
    with pytest.raises(ValueError):
        collate_padded([(long, "a", "x")], max_frames=0)


def test_collate_1d_and_dtypes():
    batch = collate_padded([(np.ones(5, np.float32), "a", "x"), (np.ones(2, np.float32), "b", "y")])
    assert batch["inputs"].shape == (2, 5)
    # Integer inputs (e.g. per-frame class indices) keep their dtype.
    ints = collate_padded([(np.array([[3], [4]]), "a", "x"), (np.array([[5]]), "b", "y")])
    assert ints["inputs"].dtype == torch.int64
    assert ints["inputs"][:, :, 0].tolist() == [[3, 4], [5, 0]]


def test_collate_rejects_inconsistent_inputs():
    with pytest.raises(ValueError, match="feature sizes"):
        collate_padded([(np.ones((2, 3)), "a", "x"), (np.ones((2, 4)), "b", "y")])
    with pytest.raises(ValueError, match="ndims"):
        collate_padded([(np.ones(2), "a", "x"), (np.ones((2, 4)), "b", "y")])
    with pytest.raises(ValueError, match="empty"):
        collate_padded([])


def test_dataloader_end_to_end_with_audio(clotho_root):
    items = read_split(clotho_root, "development")
    loader_fn = AudioLoader(sample_rate=16_000)
    pickle.dumps(loader_fn)  # worker processes need to pickle it
    dataset = CaptionPairDataset(items, loader_fn)
    collate = make_collate(max_frames=1000)
    pickle.dumps(collate)
    loader = DataLoader(dataset, batch_size=4, shuffle=False, collate_fn=collate)
    batches = list(loader)
    assert sum(len(b["file_names"]) for b in batches) == 15
    first = batches[0]
    # 0.1 s at 44.1 kHz resampled to 16 kHz is 1600 samples, cropped to 1000.
    assert first["inputs"].shape == (4, 1000)
    assert first["file_names"][0] == "Rain, on a tin roof 01.wav"
    assert first["mask"].all()

"""The shared CRNN convolution stack, and the layouts both tasks' encoders keep with it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch
from torch import nn

import aacr_lib.models.captioning as captioning_package
from aacr_lib.models.captioning import CrnnEncoderConfig
from aacr_lib.models.captioning.crnn import CrnnEncoder
from aacr_lib.models.crnn import ConvStack
from aacr_lib.models.retrieval import CRNNEncoder


def _layer_types(stack: nn.Sequential) -> list[str]:
    return [type(layer).__name__ for layer in stack]


def test_block_orders_and_pool_positions():
    pools = ((0, (2, 4)), (1, (1, 2)))
    baseline = ConvStack((4, 8), pools, dropout=0.1)
    assert _layer_types(baseline) == [
        "BatchNorm2d", "Conv2d", "LeakyReLU", "LPPool2d",
        "BatchNorm2d", "Conv2d", "LeakyReLU", "LPPool2d",
        "Dropout",
    ]  # fmt: skip
    assert baseline[0].num_features == 1 and baseline[4].num_features == 4
    report = ConvStack((4, 8), pools, block_order="conv_act_bn")
    assert _layer_types(report)[:4] == ["Conv2d", "LeakyReLU", "BatchNorm2d", "LPPool2d"]
    assert report[2].num_features == 4
    assert all(m.bias is None for m in baseline.modules() if isinstance(m, nn.Conv2d))
    with pytest.raises(ValueError, match="block_order"):
        ConvStack((4,), block_order="act_first")


def test_sizes_and_frame_vectors():
    stack = ConvStack((4, 8, 6), ((0, (2, 4)), (2, (2, 2)))).eval()
    assert (stack.out_channels, stack.time_reduction, stack.output_bins(33)) == (6, 4, 4)
    frames = stack.frame_vectors(torch.randn(2, 16, 33))
    assert frames.shape == (2, 4, stack.output_dim(33)) == (2, 4, 24)


def test_encoders_keep_their_state_dict_layouts():
    # Checkpoints of finished runs name these keys: `cnn.<i>.*` and `cnn.layers.<i>.*`.
    config = CrnnEncoderConfig(channels=(4, 8, 8, 8, 8), pool_kernels=((2, 2), (2, 2), (1, 2)))
    captioning = CrnnEncoder(config, 12, 16)
    assert isinstance(captioning.cnn, nn.Sequential)
    assert [k for k in captioning.state_dict() if k.endswith("weight")][:3] == [
        "cnn.0.weight",
        "cnn.1.weight",
        "cnn.4.weight",
    ]
    retrieval = CRNNEncoder()
    assert [k for k in retrieval.state_dict() if k.endswith("weight")][:3] == [
        "cnn.layers.0.weight",
        "cnn.layers.1.weight",
        "cnn.layers.4.weight",
    ]
    assert retrieval.cnn.output_dim(64) == retrieval.cnn.layers.output_dim(64) == 128


def _top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}


def test_captioning_model_and_pretrained_import_one_way():
    package = Path(captioning_package.__file__).parent
    assert "aacr_lib.models.captioning.model" not in _top_level_imports(package / "pretrained.py")
    assert "aacr_lib.models.captioning.model" not in _top_level_imports(package / "network.py")
    assert "aacr_lib.models.captioning.pretrained" not in _top_level_imports(package / "network.py")

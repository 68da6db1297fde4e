from dataclasses import dataclass, field

import pytest

from aacr_lib.config import (
    config_hash,
    deep_merge,
    dump_yaml,
    from_dict,
    parse_overrides,
    resolve,
    to_dict,
)
from aacr_lib.errors import ConfigError


@dataclass(frozen=True)
class ModelConfig:
    layers: int = 6
    aggregation: str = "last"
    dropout: float = 0.1


@dataclass(frozen=True)
class TrainingConfig:
    epochs: int = 20
    lr: float = 1e-5
    features: tuple[str, ...] = ("vggish",)
    early_stop: int | None = None


@dataclass(frozen=True)
class TaskConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    seed: int = 0


def test_deep_merge_merges_nested_and_replaces_leaves():
    base = {"a": {"x": 1, "y": 2}, "b": 3}
    merged = deep_merge(base, {"a": {"y": 20}, "c": 4})
    assert merged == {"a": {"x": 1, "y": 20}, "b": 3, "c": 4}
    assert base == {"a": {"x": 1, "y": 2}, "b": 3}  # inputs untouched


def test_parse_overrides_types_values_and_nests_keys():
    overlay = parse_overrides(["training.epochs=3", "model.aggregation=mean_last2", "seed=7"])
    assert overlay == {"training": {"epochs": 3}, "model": {"aggregation": "mean_last2"}, "seed": 7}
    assert parse_overrides(["training.features=[logmel, vggish]"]) == {
        "training": {"features": ["logmel", "vggish"]}
    }
    # YAML 1.1 reads `2e-3` as a string; a learning rate written so must still be a float
    assert parse_overrides(["training.lr=2e-3"]) == {"training": {"lr": 0.002}}
    assert parse_overrides(["model.aggregation=last"]) == {"model": {"aggregation": "last"}}
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_overrides(["epochs"])


def test_resolve_layers_in_order_and_coerces_types():
    config = resolve(
        TaskConfig,
        {"model": {"layers": 7}},  # experiment
        {"training": {"epochs": 1, "lr": 1}},  # profile: int promoted to float
        parse_overrides(["model.layers=8", "training.features=[logmel]"]),
    )
    assert config.model.layers == 8
    assert config.training.epochs == 1
    assert config.training.lr == 1.0 and isinstance(config.training.lr, float)
    assert config.training.features == ("logmel",)


def test_unknown_key_and_wrong_type_are_errors_naming_the_key():
    with pytest.raises(ConfigError, match="model.layres"):
        resolve(TaskConfig, {"model": {"layres": 7}})
    with pytest.raises(ConfigError, match="training.epochs"):
        resolve(TaskConfig, {"training": {"epochs": "many"}})


def test_optional_fields_accept_none_and_values():
    assert resolve(TaskConfig, {"training": {"early_stop": 5}}).training.early_stop == 5
    assert resolve(TaskConfig).training.early_stop is None


def test_hash_is_stable_and_sensitive_to_every_value():
    a = resolve(TaskConfig)
    b = from_dict(TaskConfig, to_dict(a))
    assert config_hash(a) == config_hash(b)
    assert config_hash(a) != config_hash(resolve(TaskConfig, {"model": {"dropout": 0.2}}))
    assert len(config_hash(a)) == 10


def test_yaml_round_trip():
    import yaml

    config = resolve(TaskConfig, {"model": {"layers": 7}})
    assert from_dict(TaskConfig, yaml.safe_load(dump_yaml(config))) == config

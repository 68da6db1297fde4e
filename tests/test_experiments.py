"""The one experiment registry: both tasks' experiment sets have the same shape and rules."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pytest

from aacr_lib.cli.train import TASKS
from aacr_lib.errors import ConfigError
from aacr_lib.experiments import TASK_MODULES, Experiment, ExperimentSet, experiment_set


@dataclass
class Inner:
    layers: int = 2
    width: int = 8


@dataclass
class ToyConfig:
    inner: Inner = field(default_factory=Inner)
    epochs: int = 5


TOY = ExperimentSet(
    "toy",
    ToyConfig,
    profiles={"demo": {"epochs": 3}, "clotho": {"inner": {"layers": 6}}, "smoke": {}},
    profile_descriptions={"demo": "small", "clotho": "large", "smoke": "tiny"},
    experiments={
        "baseline": Experiment("baseline", "Baseline", "as is", report_table=2),
        "deeper": Experiment(
            "deeper",
            "One more layer",
            "relative to the profile's baseline",
            lambda base: {"inner": {"layers": base.inner.layers + 1}},
            report_table=8,
            report_row="7+7",
        ),
        "wide": Experiment("wide", "Wide", "a fixed change", {"inner": {"width": 64}}),
    },
)


def test_resolution_order_is_defaults_profile_experiment_overrides():
    assert TOY.resolve("baseline", "demo") == ToyConfig(Inner(2, 8), 3)
    # a relative overlay is computed from the profile's baseline: the same change everywhere
    assert TOY.resolve("deeper", "demo").inner.layers == 3
    assert TOY.resolve("deeper", "clotho").inner.layers == 7
    assert TOY.resolve("wide", "clotho", ["inner.width=16", "epochs=1"]) == ToyConfig(
        Inner(6, 16), 1
    )
    assert TOY.resolve("wide", "paper") == TOY.resolve("wide", "clotho")  # paper: another name


def test_unknown_names_are_one_kind_of_error():
    with pytest.raises(ConfigError, match="unknown toy experiment 'x'; choose one of baseline"):
        TOY.resolve("x")
    with pytest.raises(ConfigError, match="unknown toy profile 'huge'; choose one of demo"):
        TOY.resolve("baseline", "huge")
    with pytest.raises(ConfigError, match="unknown task 'translation'; choose one of captioning"):
        experiment_set("translation")


def test_listing_and_table_say_where_the_report_has_each_experiment():
    listing = TOY.listing()
    assert "  deeper    One more layer (report Table 8: 7+7): relative" in listing
    assert "Wide (new): a fixed change" in listing and "profiles:" in listing
    frame = TOY.frame()
    assert isinstance(frame, pd.DataFrame) and list(frame.index) == ["baseline", "deeper", "wide"]
    assert frame.loc["baseline", "report"] == "Table 2" and frame.loc["wide", "report"] == "new"


@pytest.mark.parametrize("task", sorted(TASK_MODULES))
def test_every_task_has_an_experiment_set_of_the_same_shape(task):
    experiments = experiment_set(task)
    assert experiments.task == task and "baseline" in experiments.names()
    assert set(experiments.profiles) == {"demo", "clotho", "smoke"}
    assert set(experiments.profile_descriptions) == set(experiments.profiles)
    for name in experiments:
        for profile in experiments.profiles:
            config = experiments.resolve(name, profile)
            assert type(config) is experiments.config_class
            assert config.training.seed is not None and config.data.dataset


def test_chapters_take_their_experiments_from_the_registry():
    captioning = experiment_set("captioning").in_sections("6.1.1", "6.1.2", "6.1.3")
    assert captioning == [
        "crnn_encoder",
        "mean_all_hidden",
        "mean_last2_hidden",
        "adapter2",
        "layers7",
    ]
    assert experiment_set("captioning").in_sections("6.1.4") == ["final"]


def test_the_cli_names_the_registrys_tasks():
    assert TASKS == tuple(TASK_MODULES)

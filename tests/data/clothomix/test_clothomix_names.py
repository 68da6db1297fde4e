"""Clotho-style file names: every label covered, safe characters, deterministic, unique."""

from __future__ import annotations

import numpy as np
import pytest

from aacr_lib.data.clothomix.bank import load_bank
from aacr_lib.data.clothomix.names import (
    BACKGROUND_TITLES,
    EVENT_TITLES,
    MAX_STEM,
    clotho_style_name,
    is_clotho_style_safe,
    unique_name,
)


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def _draws(bank, count: int) -> list[str]:
    backgrounds, events = bank.labels("background"), bank.labels("event")
    names = []
    for seed in range(count):
        rng = np.random.default_rng(seed)
        background = backgrounds[seed % len(backgrounds)]
        chosen = [events[(seed + k) % len(events)] for k in range(1 + seed % 3)]
        names.append(clotho_style_name(rng, background, chosen))
    return names


def test_every_bank_label_has_titles(bank):
    assert set(bank.labels("background")) == set(BACKGROUND_TITLES)
    assert set(bank.labels("event")) == set(EVENT_TITLES)
    assert all(len(titles) >= 2 for titles in [*BACKGROUND_TITLES.values(), *EVENT_TITLES.values()])


def test_names_are_safe_and_use_clothos_punctuation(bank):
    names = _draws(bank, 2000)
    assert all(is_clotho_style_safe(name) for name in names), [
        n for n in names if not is_clotho_style_safe(n)
    ][:5]
    assert all(len(name) <= MAX_STEM + len(".wav") for name in names)
    for character in " ,()&'-_0123456789":
        assert any(character in name[:-4] for name in names), character
    assert len(set(names)) > 1500  # varied: collisions are the exception


def test_the_same_generator_state_gives_the_same_name():
    first = clotho_style_name(np.random.default_rng(7), "rain", ["cow", "saw"])
    assert first == clotho_style_name(np.random.default_rng(7), "rain", ["cow", "saw"])
    with pytest.raises(ValueError, match="at least one event"):
        clotho_style_name(np.random.default_rng(7), "rain", [])


def test_unique_name_adds_a_copy_number_case_insensitively():
    taken: set[str] = set()
    assert unique_name("Rain, heavy.wav", taken) == "Rain, heavy.wav"
    assert unique_name("rain, HEAVY.wav", taken) == "rain, HEAVY (2).wav"
    assert unique_name("Rain, heavy.wav", taken) == "Rain, heavy (3).wav"
    assert taken == {"rain, heavy.wav", "rain, heavy (2).wav", "rain, heavy (3).wav"}
    long = "x" * MAX_STEM + ".wav"
    assert unique_name(long, taken) == long
    again = unique_name(long, taken)
    assert again.endswith(" (2).wav") and is_clotho_style_safe(again)


@pytest.mark.parametrize(
    "name", ["", ".wav", " Rain.wav", "-rain.wav", "rain .wav", "a/b.wav", "a:b.wav", "rain.mp3"]
)
def test_unsafe_names_are_recognised(name):
    assert not is_clotho_style_safe(name)

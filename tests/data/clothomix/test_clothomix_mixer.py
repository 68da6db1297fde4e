"""Planning and rendering ClothoMix clips: timing, levels, looping."""

from __future__ import annotations

import numpy as np
import pytest

from aacr_lib.data.clothomix import mixer
from aacr_lib.data.clothomix.bank import BANK_SAMPLE_RATE, load_bank, load_sound
from aacr_lib.data.clothomix.grammar import EVENT_WORDS
from aacr_lib.data.clothomix.mixer import (
    EVENT_SPACING,
    MAX_EVENTS,
    PEAK_LIMIT,
    active_rms_db,
    loop_crop,
    plan_clip,
    render_clip,
    repeat_limit,
    rms_db,
)


@pytest.fixture(scope="module")
def bank():
    return load_bank()


@pytest.mark.parametrize("duration", [1.0, 3.0, 10.0, 15.0, 30.0])
def test_plans_keep_events_inside_the_clip_in_order_without_overlap(bank, duration):
    sr = BANK_SAMPLE_RATE
    for seed in range(150):
        plan = plan_clip(bank, np.random.default_rng(seed), duration)
        assert plan.length == round(duration * sr)
        assert plan.background.kind == "background"
        assert 1 <= len(plan.events) <= MAX_EVENTS
        assert len({e.label for e in plan.events}) == len(plan.events)
        previous_end = 0
        for event in plan.events:
            assert EVENT_WORDS[event.label]
            assert 1 <= len(event.sounds) <= repeat_limit(event.label)
            assert all(sound.label == event.label for sound in event.sounds)
            for index, (sound, onset, played) in enumerate(
                zip(event.sounds, event.onsets, event.lengths, strict=True)
            ):
                assert 0 <= onset and onset + played <= plan.length
                assert 0 < played <= sound.frames
                if index == 0 and previous_end:
                    # A different event starts only after a pause, so the order is audible.
                    assert onset - previous_end >= int(EVENT_SPACING * sr)
                else:
                    assert onset >= previous_end
                previous_end = onset + played


@pytest.mark.parametrize("duration", [15.0, 30.0])
def test_events_spread_over_long_clips(bank, duration):
    # Clotho-scale clips (15-30 s): the free time is shared out before, between and after the
    # events, so they are not bunched at the start, and every part of the clip gets some.
    sr = BANK_SAMPLE_RATE
    centres, starts, ends = [], [], []
    for seed in range(300):
        plan = plan_clip(bank, np.random.default_rng(seed), duration)
        spans = [(o, o + n) for e in plan.events for o, n in zip(e.onsets, e.lengths, strict=True)]
        starts.append(spans[0][0] / sr)
        ends.append(spans[-1][1] / sr)
        centres.append((spans[0][0] + spans[-1][1]) / 2 / plan.length)
    assert 0.4 < float(np.mean(centres)) < 0.6
    assert min(starts) < 1.0 and max(ends) > duration - 1.0
    assert np.mean([start > duration / 3 for start in starts]) > 0.1


def test_plans_vary_and_repeat_exactly(bank):
    plans = [plan_clip(bank, np.random.default_rng(seed), 10.0) for seed in range(200)]
    assert len({p.background.label for p in plans}) == len(bank.labels("background"))
    assert len({e.label for p in plans for e in p.events}) == len(bank.labels("event"))
    assert {len(p.events) for p in plans} == {1, 2, 3}
    assert {len(e.sounds) for p in plans for e in p.events} == {1, 2, 3}
    assert {e.loud for p in plans for e in p.events} == {True, False}
    again = plan_clip(bank, np.random.default_rng(5), 10.0)
    assert again == plans[5]


def test_rendered_clip_is_audible_unclipped_and_deterministic(bank):
    for seed in range(20):
        plan = plan_clip(bank, np.random.default_rng(seed), 3.0)
        audio = render_clip(plan, load_sound, np.random.default_rng(seed))
        assert audio.dtype == np.float32 and audio.shape == (plan.length,)
        assert np.all(np.isfinite(audio))
        assert np.abs(audio).max() <= PEAK_LIMIT + 1e-6
        assert rms_db(audio) > -45.0
        same = render_clip(plan, load_sound, np.random.default_rng(seed))
        assert np.array_equal(audio, same)


def test_levels_follow_the_plan(bank, monkeypatch):
    # Without the final peak limiter the mix is exactly background + events, so each part can
    # be measured on its own: the background at its planned RMS, every event occurrence at its
    # planned level above it (loud ones clearly above, faint ones not), within the jitter.
    monkeypatch.setattr(mixer, "PEAK_LIMIT", float("inf"))
    sr = BANK_SAMPLE_RATE

    def background_only(sound):
        waveform = load_sound(sound)
        return waveform if sound.kind == "background" else np.zeros_like(waveform)

    levels = {True: [], False: []}
    for seed in range(40):
        plan = plan_clip(bank, np.random.default_rng(seed), 10.0)
        full = render_clip(plan, load_sound, np.random.default_rng(seed))
        background = render_clip(plan, background_only, np.random.default_rng(seed))
        assert rms_db(background) == pytest.approx(plan.background_db, abs=0.01)
        events = full - background
        for event in plan.events:
            for sound, onset, played in zip(event.sounds, event.onsets, event.lengths, strict=True):
                if played < sound.frames:
                    continue  # cut at the clip end and faded: not the full recording
                level = active_rms_db(events[onset : onset + played], sr) - plan.background_db
                assert abs(level - event.level_db) <= mixer.REPEAT_JITTER_DB + 0.05
                levels[event.loud].append(level)
    assert min(levels[True]) > mixer.LOUD_DB[0] - 1.1
    assert max(levels[False]) < mixer.FAINT_DB[1] + 1.1
    assert min(levels[True]) > max(levels[False]) + 5


def test_loop_crop_continues_past_the_end_with_a_crossfade():
    signal = np.sin(np.arange(1000, dtype=np.float32) / 10)
    plain = loop_crop(signal, 100, 500, crossfade=50)
    assert np.array_equal(plain, signal[100:600])
    looped = loop_crop(signal, 900, 2500, crossfade=50)
    assert looped.shape == (2500,)
    assert np.array_equal(looped[:50], signal[900:950])
    assert np.abs(looped).max() <= 1.0 + 1e-6

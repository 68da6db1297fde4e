"""Planning and rendering one ClothoMix clip: a background plus 1-3 events, in sequence.

`plan_clip` draws every random choice from one `numpy.random.Generator` and returns a
`ClipPlan` (pure data, sample-exact); `render_clip` turns a plan into a waveform. Keeping the two
apart means the ground-truth CSV and the captions are written from the very numbers the audio
was made from.

Events never overlap each other: each event (with its repetitions) occupies its own stretch of
time, so "A, then B" in a caption is unambiguous. The background sounds throughout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from aacr_lib.data.clothomix.bank import BANK_SAMPLE_RATE, BankSound, SoundBank
from aacr_lib.data.clothomix.grammar import EVENT_WORDS

MAX_EVENTS = 3
# At most this many repetitions; labels not listed allow three. A falling tree or a closing gate
# happens once; two rolls of thunder or two howls in ten seconds are already plenty.
REPEAT_LIMITS = {"tree_fall": 1, "gate": 1, "thunder": 2, "rooster": 2, "wolf": 2, "owl": 2}
UNCOUNTABLE_REPEATS = 2
# Background level (RMS, dBFS) and event level relative to it (dB), as uniform ranges.
BACKGROUND_DB = (-32.0, -24.0)
LOUD_DB = (8.0, 14.0)
FAINT_DB = (-5.0, 0.0)
REPEAT_JITTER_DB = 1.0
# Silence between repetitions of a countable event, so that each one is heard apart (s).
COUNTABLE_GAP = (0.25, 0.8)
UNCOUNTABLE_GAP = (0.0, 0.2)
# Minimum pause between two different events, so that their order is audible (s).
EVENT_SPACING = 0.3
MAX_EDGE_MARGIN = 0.25
LOOP_CROSSFADE = 0.25
FADE_OUT_CROPPED = 0.05
PEAK_LIMIT = 10 ** (-1.0 / 20)  # -1 dBFS


@dataclass(frozen=True)
class EventPlan:
    """One event: its label, the recording used for each repetition and where each starts."""

    label: str
    sounds: tuple[BankSound, ...]
    onsets: tuple[int, ...]  # samples
    lengths: tuple[int, ...]  # samples actually played (a recording may be cut at the clip end)
    loud: bool
    level_db: float  # event level relative to the background RMS


@dataclass(frozen=True)
class ClipPlan:
    """Everything needed to render a clip and describe it."""

    sample_rate: int
    length: int  # samples
    background: BankSound
    background_start: int  # sample of the (looped) background where the clip starts
    background_db: float
    events: tuple[EventPlan, ...]  # in temporal order

    @property
    def duration(self) -> float:
        return self.length / self.sample_rate


def repeat_limit(label: str) -> int:
    """How many times an event may repeat in one clip."""
    if not EVENT_WORDS[label].countable:
        return min(UNCOUNTABLE_REPEATS, REPEAT_LIMITS.get(label, 3))
    return REPEAT_LIMITS.get(label, 3)


@dataclass
class _Draft:
    label: str
    sounds: list[BankSound]
    gaps: list[int]  # silence after each repetition but the last
    loud: bool
    level_db: float

    def span(self) -> int:
        return sum(s.frames for s in self.sounds) + sum(self.gaps)


def _draft_event(rng: np.random.Generator, bank: SoundBank, label: str, sample_rate: int) -> _Draft:
    variants = bank.variants(label)
    repeats = int(rng.integers(1, repeat_limit(label) + 1))
    sounds = [variants[int(rng.integers(len(variants)))] for _ in range(repeats)]
    low, high = COUNTABLE_GAP if EVENT_WORDS[label].countable else UNCOUNTABLE_GAP
    gaps = [int(rng.uniform(low, high) * sample_rate) for _ in range(repeats - 1)]
    loud = bool(rng.random() < 0.5)
    level_db = float(rng.uniform(*(LOUD_DB if loud else FAINT_DB)))
    return _Draft(label, sounds, gaps, loud, level_db)


def _fit(drafts: list[_Draft], usable: int, spacing: int) -> list[_Draft]:
    """Drop repetitions, then whole events, until the events fit in `usable` samples."""

    def total() -> int:
        return sum(d.span() for d in drafts) + spacing * (len(drafts) - 1)

    while total() > usable:
        repeated = [d for d in drafts if len(d.sounds) > 1]
        if repeated:
            longest = max(repeated, key=lambda d: d.span())
            longest.sounds.pop()
            longest.gaps.pop()
        elif len(drafts) > 1:
            drafts.remove(max(drafts, key=lambda d: d.span()))
        else:
            break  # a single recording longer than the clip: cut when placing
    return drafts


def plan_clip(
    bank: SoundBank,
    rng: np.random.Generator,
    duration: float,
) -> ClipPlan:
    """Draw a background, 1-3 distinct events, repetitions, levels and onsets for one clip."""
    sample_rate = BANK_SAMPLE_RATE
    length = int(round(duration * sample_rate))
    backgrounds = bank.labels("background")
    background_label = backgrounds[int(rng.integers(len(backgrounds)))]
    background_variants = bank.variants(background_label)
    background = background_variants[int(rng.integers(len(background_variants)))]
    background_start = int(rng.integers(0, max(1, background.frames)))
    background_db = float(rng.uniform(*BACKGROUND_DB))

    event_labels = bank.labels("event")
    count = int(rng.integers(1, MAX_EVENTS + 1))
    chosen = [event_labels[i] for i in rng.choice(len(event_labels), size=count, replace=False)]
    drafts = [_draft_event(rng, bank, label, sample_rate) for label in chosen]

    margin = min(int(MAX_EDGE_MARGIN * sample_rate), length // 20)
    usable = length - 2 * margin
    spacing = int(EVENT_SPACING * sample_rate)
    drafts = _fit(drafts, usable, spacing)

    slack = max(0, usable - sum(d.span() for d in drafts) - spacing * (len(drafts) - 1))
    # Random share of the free time before, between and after the events.
    shares = rng.dirichlet(np.ones(len(drafts) + 1))
    pauses = np.floor(shares * slack).astype(int)
    position = margin + int(pauses[0])
    events = []
    for index, draft in enumerate(drafts):
        onsets, lengths = [], []
        for rep, sound in enumerate(draft.sounds):
            played = min(sound.frames, length - position)
            onsets.append(position)
            lengths.append(played)
            position += played + (draft.gaps[rep] if rep < len(draft.gaps) else 0)
        position += spacing + int(pauses[index + 1])
        events.append(
            EventPlan(
                label=draft.label,
                sounds=tuple(draft.sounds),
                onsets=tuple(onsets),
                lengths=tuple(lengths),
                loud=draft.loud,
                level_db=draft.level_db,
            )
        )
    return ClipPlan(
        sample_rate=sample_rate,
        length=length,
        background=background,
        background_start=background_start,
        background_db=background_db,
        events=tuple(events),
    )


def loop_crop(waveform: np.ndarray, start: int, length: int, crossfade: int) -> np.ndarray:
    """`length` samples of `waveform` from `start`, looping with a linear crossfade if needed."""
    period = len(waveform)
    crossfade = min(crossfade, period // 2)
    start = start % period
    if start + length <= period:
        return np.array(waveform[start : start + length], dtype=np.float32)
    looped = np.array(waveform, dtype=np.float32)
    fade_in = np.linspace(0.0, 1.0, crossfade, dtype=np.float32)
    while len(looped) < start + length:
        if crossfade:
            looped[-crossfade:] = (
                looped[-crossfade:] * fade_in[::-1] + waveform[:crossfade] * fade_in
            )
        looped = np.concatenate([looped, waveform[crossfade:]])
    return looped[start : start + length]


def rms_db(waveform: np.ndarray) -> float:
    """Root-mean-square level in dBFS."""
    return 10 * float(np.log10(np.mean(np.square(waveform, dtype=np.float64)) + 1e-12))


def active_rms_db(waveform: np.ndarray, sample_rate: int, window_db: float = 20.0) -> float:
    """RMS (dBFS) over the 20 ms frames within `window_db` of the loudest frame.

    A plain RMS would call a short axe chop much quieter than a long moo of the same peak
    loudness; measuring only the sounding part puts events on a common footing.
    """
    frame = max(1, int(0.02 * sample_rate))
    padded = np.pad(waveform, (0, (-len(waveform)) % frame))
    power = np.mean(np.square(padded.reshape(-1, frame), dtype=np.float64), axis=1)
    levels = 10 * np.log10(power + 1e-12)
    active = power[levels >= levels.max() - window_db]
    return 10 * float(np.log10(np.mean(active) + 1e-12))


def _gain(from_db: float, to_db: float) -> float:
    return float(10 ** ((to_db - from_db) / 20))


def render_clip(
    plan: ClipPlan,
    load: Callable[[BankSound], np.ndarray],
    rng: np.random.Generator,
) -> np.ndarray:
    """Mix the plan into a float32 waveform in [-1, 1] (`rng` only adds level jitter)."""
    sr = plan.sample_rate
    background = loop_crop(
        load(plan.background), plan.background_start, plan.length, int(LOOP_CROSSFADE * sr)
    )
    mix = background * _gain(rms_db(background), plan.background_db)
    for event in plan.events:
        target_db = plan.background_db + event.level_db
        for sound, onset, played in zip(event.sounds, event.onsets, event.lengths, strict=True):
            waveform = load(sound)
            jitter = float(rng.uniform(-REPEAT_JITTER_DB, REPEAT_JITTER_DB))
            segment = waveform[:played] * _gain(active_rms_db(waveform, sr), target_db + jitter)
            if played < len(waveform):
                fade = min(played, int(FADE_OUT_CROPPED * sr))
                segment[len(segment) - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
            mix[onset : onset + played] += segment
    peak = float(np.max(np.abs(mix)))
    if peak > PEAK_LIMIT:
        # One gain for the whole clip keeps the loud/faint relations the captions describe.
        mix *= PEAK_LIMIT / peak
    return mix.astype(np.float32)

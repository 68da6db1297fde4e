"""Captions from the ClothoMix grammar: length, variety, and truth about the clip."""

from __future__ import annotations

import numpy as np
import pytest

from aacr_lib.data.clothomix.grammar import (
    BACKGROUND_WORDS,
    EVENT_WORDS,
    FAINT_PHRASES,
    LOUD_PHRASES,
    MAX_WORDS,
    MIN_WORDS,
    EventMention,
    make_captions,
    mentions,
    word_count,
)
from aacr_lib.data.clothomix.mixer import repeat_limit
from aacr_lib.data.text import normalize_caption

# Labels whose keywords are not shared with another label, so word positions give the order.
DISTINCT = ("cow", "sheep", "horse", "axe", "gate", "thunder", "owl", "bees", "wolf", "metal")


def _phrases_match_keywords(label, phrases):
    for phrase in phrases:
        text = phrase.format(n="", g="")
        assert mentions(text, label), f"{label!r}: {text!r} lacks its keywords"


@pytest.mark.parametrize("label", sorted(EVENT_WORDS))
def test_every_event_phrase_carries_its_keywords(label):
    words = EVENT_WORDS[label]
    _phrases_match_keywords(label, words.clauses + words.gerunds)


@pytest.mark.parametrize("label", sorted(BACKGROUND_WORDS))
def test_every_background_phrase_carries_its_keywords(label):
    words = BACKGROUND_WORDS[label]
    _phrases_match_keywords(label, words.clauses + words.settings + words.nominals)


def _random_clip(rng, labels=None):
    labels = sorted(EVENT_WORDS) if labels is None else labels
    count = int(rng.integers(1, 4))
    chosen = [labels[i] for i in rng.choice(len(labels), size=count, replace=False)]
    events = [
        EventMention(label, int(rng.integers(1, repeat_limit(label) + 1)), bool(rng.random() < 0.5))
        for label in chosen
    ]
    backgrounds = sorted(BACKGROUND_WORDS)
    return backgrounds[int(rng.integers(len(backgrounds)))], events


def _has_phrase(caption, phrases):
    text = f" {normalize_caption(caption)} "
    return any(f" {normalize_caption(p)} " in text for p in phrases)


def test_five_distinct_captions_of_clotho_length_that_mention_everything():
    rng = np.random.default_rng(1)
    for trial in range(400):
        background, events = _random_clip(rng)
        captions = make_captions(np.random.default_rng(trial), background, events)
        assert len(captions) == 5
        assert len({normalize_caption(c) for c in captions}) == 5
        for caption in captions:
            assert MIN_WORDS <= word_count(caption) <= MAX_WORDS, caption
            assert caption[0].isupper()
            assert mentions(caption, background), (background, caption)
            for event in events:
                assert mentions(caption, event.label), (event.label, caption)


def test_counts_are_said_for_countable_events():
    words = {2: "twice", 3: "three times"}
    rng = np.random.default_rng(2)
    for trial in range(200):
        background, events = _random_clip(rng)
        captions = make_captions(np.random.default_rng(trial), background, events)
        for event in events:
            if EVENT_WORDS[event.label].countable and event.count > 1:
                for caption in captions:
                    assert words[event.count] in caption, (event, caption)
        countable_counts = {e.count for e in events if EVENT_WORDS[e.label].countable}
        for count, word in words.items():
            if count not in countable_counts:
                assert all(word not in c for c in captions), (events, captions)


def test_loudness_words_agree_with_the_mix():
    rng = np.random.default_rng(3)
    for trial in range(200):
        background, events = _random_clip(rng)
        loud = bool(trial % 2)
        events = [EventMention(e.label, e.count, loud) for e in events]
        captions = make_captions(np.random.default_rng(trial), background, events)
        wrong = FAINT_PHRASES if loud else LOUD_PHRASES
        assert not any(_has_phrase(c, wrong) for c in captions), captions
    # Loudness is said in most captions (not all: Clotho captions often leave it out).
    events = [EventMention("cow", 1, True)]
    captions = [
        c for seed in range(40) for c in make_captions(np.random.default_rng(seed), "rain", events)
    ]
    assert sum(_has_phrase(c, LOUD_PHRASES) for c in captions) > len(captions) / 3


def _first_position(caption, label):
    tokens = normalize_caption(caption).split()
    prefixes = EVENT_WORDS[label].keywords[0]
    return min(i for i, t in enumerate(tokens) if any(t.startswith(p) for p in prefixes))


def test_events_are_named_in_temporal_order():
    rng = np.random.default_rng(4)
    for trial in range(300):
        background, events = _random_clip(rng, list(DISTINCT))
        if len(events) < 2:
            continue
        for caption in make_captions(np.random.default_rng(trial), background, events):
            positions = [_first_position(caption, e.label) for e in events]
            text = normalize_caption(caption)
            if " after " in f" {text} " and "after that" not in text:
                # "B after A": the one template that names the later event first.
                assert positions == sorted(positions, reverse=True), caption
            else:
                assert positions == sorted(positions), caption


def test_same_generator_gives_same_captions_and_bad_input_is_refused():
    events = [EventMention("cow", 2, True), EventMention("axe", 3, False)]
    first = make_captions(np.random.default_rng(7), "rain", events)
    assert first == make_captions(np.random.default_rng(7), "rain", events)
    assert first != make_captions(np.random.default_rng(8), "rain", events)
    with pytest.raises(KeyError):
        make_captions(np.random.default_rng(0), "snow", events)
    with pytest.raises(KeyError):
        make_captions(np.random.default_rng(0), "rain", [EventMention("dragon", 1, True)])
    with pytest.raises(ValueError):
        make_captions(np.random.default_rng(0), "rain", [])

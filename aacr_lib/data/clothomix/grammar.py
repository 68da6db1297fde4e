"""Clotho-style captions for a ClothoMix clip, from a small grammar with synonyms.

A caption must be true of the audio: it names the background and every event, in temporal order
("then", "followed by", "before", "after"), with the number of repetitions of countable events
("twice", "three times") and, often, whether the event is loud (close) or faint (distant).

Every phrase of a label contains at least one word of each of that label's keyword groups (see
`EventWords.keywords`), so a caption can be checked against the ground truth mechanically:
`mentions(caption, label)`.

Templates use `{n}` for the count phrase and `{g}` for the loudness phrase; both may be empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aacr_lib.data.text import normalize_caption

MIN_WORDS = 8
MAX_WORDS = 20
CAPTIONS_PER_CLIP = 5


@dataclass(frozen=True)
class EventWords:
    """How captions talk about one event label.

    `clauses` are finite clauses ("a cow moos{n}{g}"), `gerunds` noun phrases ("a cow
    mooing{n}{g}"). `countable` events are single calls or hits, so their repetitions are counted
    in captions; uncountable ones (footsteps, buzzing, clucking) are a continuing activity.
    `keywords` are groups of word prefixes; a phrase of this label matches every group.
    """

    keywords: tuple[tuple[str, ...], ...]
    clauses: tuple[str, ...]
    gerunds: tuple[str, ...]
    countable: bool


@dataclass(frozen=True)
class BackgroundWords:
    """How captions talk about one background: a clause, a setting phrase and a noun phrase."""

    keywords: tuple[tuple[str, ...], ...]
    clauses: tuple[str, ...]
    settings: tuple[str, ...]
    nominals: tuple[str, ...]


def _walk(surface: tuple[str, ...], clauses: tuple[str, ...], gerunds: tuple[str, ...]):
    return EventWords((("walk", "slow"), surface), clauses, gerunds, countable=False)


def _run(surface: tuple[str, ...], clauses: tuple[str, ...], gerunds: tuple[str, ...]):
    return EventWords((("run", "fast", "quick"), surface), clauses, gerunds, countable=False)


EVENT_WORDS: dict[str, EventWords] = {
    "cow": EventWords(
        (("cow",),),
        ("a cow moos{n}{g}", "a cow lows{n}{g}", "a cow calls out with a moo{n}{g}"),
        ("a cow mooing{n}{g}", "a cow lowing{n}{g}"),
        countable=True,
    ),
    "sheep": EventWords(
        (("sheep",),),
        ("a sheep bleats{n}{g}", "a sheep baas{n}{g}", "a sheep calls out{n}{g}"),
        ("a sheep bleating{n}{g}", "a sheep baaing{n}{g}"),
        countable=True,
    ),
    "pig": EventWords(
        (("pig",),),
        ("a pig grunts{g}", "a pig oinks{g}", "a pig snorts and grunts{g}"),
        ("a pig grunting{g}", "a pig oinking{g}", "the grunting of a pig{g}"),
        countable=False,
    ),
    "horse": EventWords(
        (("horse",),),
        ("a horse neighs{n}{g}", "a horse whinnies{n}{g}", "a horse snorts and neighs{n}{g}"),
        ("a horse neighing{n}{g}", "a horse whinnying{n}{g}"),
        countable=True,
    ),
    "hooves": EventWords(
        (("hoof", "hooves"),),
        (
            "hooves clatter{g}",
            "hooves clop{g}",
            "hooves clop on the ground{g}",
            "hoofbeats thud along{g}",
        ),
        ("hooves clattering{g}", "hooves clopping on the ground{g}", "the hoofbeats of a horse{g}"),
        countable=False,
    ),
    "chicken": EventWords(
        (("chicken", "hen"),),
        ("a hen clucks{g}", "chickens cluck{g}", "a chicken clucks repeatedly{g}"),
        ("a hen clucking{g}", "chickens clucking{g}", "the clucking of a chicken{g}"),
        countable=False,
    ),
    "rooster": EventWords(
        (("rooster", "cockerel"),),
        ("a rooster crows{n}{g}", "a cockerel crows{n}{g}", "a rooster calls out{n}{g}"),
        ("a rooster crowing{n}{g}", "a cockerel crowing{n}{g}"),
        countable=True,
    ),
    "owl": EventWords(
        (("owl",),),
        ("an owl hoots{g}", "an owl calls{g}", "an owl gives a hoot{g}"),
        ("an owl hooting{g}", "the hooting of an owl{g}"),
        countable=False,
    ),
    "wolf": EventWords(
        (("wolf",),),
        ("a wolf howls{n}{g}", "a lone wolf howls{n}{g}", "a wolf lets out a howl{n}{g}"),
        ("a wolf howling{n}{g}", "a lone wolf howling{n}{g}"),
        countable=True,
    ),
    "bees": EventWords(
        (("bee",),),
        ("bees buzz{g}", "bees hum{g}", "a swarm of bees buzzes{g}", "bees hum and buzz{g}"),
        ("bees buzzing{g}", "a swarm of bees buzzing{g}", "the buzzing of bees{g}"),
        countable=False,
    ),
    "axe": EventWords(
        (("axe", "chop"),),
        (
            "an axe chops wood{n}{g}",
            "an axe chops{n}{g}",
            "someone chops wood{n}{g}",
            "an axe strikes a tree{n}{g}",
            "an axe bites into wood{n}{g}",
        ),
        ("an axe chopping wood{n}{g}", "an axe striking a tree{n}{g}"),
        countable=True,
    ),
    "tree_fall": EventWords(
        (("tree",),),
        (
            "a tree cracks and falls{g}",
            "a tree falls{g}",
            "a tree topples{g}",
            "a tree crashes to the ground{g}",
            "a tree topples over{g}",
        ),
        ("a tree crashing to the ground{g}", "a falling tree{g}", "a tree toppling over{g}"),
        countable=True,
    ),
    "saw": EventWords(
        (("saw",),),
        (
            "someone saws wood{g}",
            "a saw rasps{g}",
            "a saw cuts through wood{g}",
            "a hand saw rasps back and forth{g}",
        ),
        ("a saw cutting wood{g}", "someone sawing wood{g}", "a hand saw rasping{g}"),
        countable=False,
    ),
    "hammer": EventWords(
        (("hammer",),),
        (
            "a hammer knocks on wood{n}{g}",
            "a hammer knocks{n}{g}",
            "a hammer bangs{n}{g}",
            "someone hammers on wood{n}{g}",
            "a hammer hits a board{n}{g}",
        ),
        ("a hammer knocking on wood{n}{g}", "someone hammering on wood{n}{g}"),
        countable=True,
    ),
    "pickaxe": EventWords(
        (("pick",),),
        (
            "a pickaxe strikes stone{n}{g}",
            "a pickaxe strikes{n}{g}",
            "a pickaxe clinks{n}{g}",
            "a pickaxe chips at rock{n}{g}",
            "a pick hits rock{n}{g}",
            "a pickaxe hits stone{n}{g}",
        ),
        ("a pickaxe striking stone{n}{g}", "a pick chipping at rock{n}{g}"),
        countable=True,
    ),
    "metal": EventWords(
        (("metal",),),
        (
            "metal clangs{n}{g}",
            "metal rings{n}{g}",
            "a tool clangs against metal{n}{g}",
            "something strikes metal{n}{g}",
        ),
        ("metal clanging{n}{g}", "a tool clanging against metal{n}{g}", "a metal clang{n}{g}"),
        countable=True,
    ),
    "gate": EventWords(
        (("gate",),),
        (
            "a heavy gate closes{g}",
            "a gate closes{g}",
            "a gate shuts{g}",
            "a heavy gate grinds shut{g}",
            "a large gate slams shut{g}",
        ),
        ("a heavy gate closing{g}", "a large gate slamming shut{g}"),
        countable=True,
    ),
    "thunder": EventWords(
        (("thunder",),),
        ("thunder rumbles{n}{g}", "thunder roars{n}{g}", "thunder booms and rolls{n}{g}"),
        ("thunder rumbling{n}{g}", "thunder rolling{n}{g}"),
        countable=True,
    ),
    "walking_gravel": _walk(
        ("gravel",),
        (
            "someone walks on gravel{g}",
            "a person walks across gravel{g}",
            "slow steps crunch on gravel{g}",
        ),
        ("someone walking on gravel{g}", "slow footsteps crunching on gravel{g}"),
    ),
    "running_gravel": _run(
        ("gravel",),
        (
            "someone runs on gravel{g}",
            "a person runs across gravel{g}",
            "quick steps crunch on gravel{g}",
        ),
        ("someone running on gravel{g}", "fast footsteps crunching on gravel{g}"),
    ),
    "walking_grass": _walk(
        ("grass",),
        (
            "someone walks on grass{g}",
            "a person walks through grass{g}",
            "slow steps swish through grass{g}",
        ),
        ("someone walking on grass{g}", "slow footsteps in the grass{g}"),
    ),
    "running_grass": _run(
        ("grass",),
        (
            "someone runs on grass{g}",
            "a person runs through grass{g}",
            "quick steps swish through grass{g}",
        ),
        ("someone running through grass{g}", "fast footsteps in the grass{g}"),
    ),
    "walking_wood": _walk(
        ("wood",),
        (
            "someone walks on wood{g}",
            "someone walks on a wooden floor{g}",
            "a person walks across wooden boards{g}",
            "slow steps thud on wooden planks{g}",
        ),
        ("someone walking on a wooden floor{g}", "slow footsteps on wooden boards{g}"),
    ),
}

BACKGROUND_WORDS: dict[str, BackgroundWords] = {
    "rain": BackgroundWords(
        (("rain",),),
        ("rain falls steadily", "it is raining", "rain keeps falling", "rain falls outside"),
        (
            "in the rain",
            "in rainy weather",
            "during a rain shower",
            "with rain falling in the background",
        ),
        ("steady rain", "falling rain", "the sound of rain", "a rain shower"),
    ),
    "stream": BackgroundWords(
        (("stream", "brook"),),
        ("a small stream trickles", "a brook babbles", "a gentle stream flows by"),
        (
            "beside a babbling brook",
            "next to a gently flowing stream",
            "by a small stream",
            "by a brook",
        ),
        ("a trickling stream", "a babbling brook", "a gentle stream"),
    ),
    "river": BackgroundWords(
        (("river",),),
        ("a river flows", "river water rushes past", "a river runs by"),
        ("beside a flowing river", "next to a river", "by a river", "on the bank of a river"),
        ("a flowing river", "rushing river water", "the sound of a river"),
    ),
    "waterfall": BackgroundWords(
        (("waterfall",),),
        ("a waterfall roars", "water pours down a waterfall", "a waterfall crashes down"),
        (
            "beside a waterfall",
            "by a waterfall",
            "near a roaring waterfall",
            "in front of a waterfall",
        ),
        ("a roaring waterfall", "the roar of a waterfall", "a waterfall"),
    ),
    "waves": BackgroundWords(
        (("wave", "sea", "surf"),),
        ("waves crash on the shore", "waves break on the shore", "the surf rolls in"),
        ("by the sea", "on a beach with crashing waves", "at the seashore"),
        ("crashing waves", "the sound of waves", "breaking waves"),
    ),
    "wind": BackgroundWords(
        (("wind",),),
        ("wind blows", "the wind blows steadily", "wind rushes past", "the wind howls"),
        (
            "in the wind",
            "in windy weather",
            "on a windy day",
            "with wind blowing in the background",
        ),
        ("blowing wind", "a gusty wind", "the sound of wind"),
    ),
    "farm": BackgroundWords(
        (("farm",),),
        ("farmyard sounds fill the air", "a farm bustles in the background"),
        ("on a farm", "in a farmyard", "on a busy farm"),
        ("farmyard sounds", "the bustle of a farm", "farm noises"),
    ),
    "harbour": BackgroundWords(
        (("harbour", "harbor", "port"),),
        ("a harbour bustles in the background", "a busy port hums in the background"),
        ("at a harbour", "in a busy port", "at the port", "at a busy harbor"),
        ("harbour noises", "the bustle of a port", "the sounds of a busy harbour"),
    ),
    "market": BackgroundWords(
        (("market",),),
        ("a market bustles in the background", "a busy marketplace hums with activity"),
        ("in a busy marketplace", "at a market", "in a marketplace", "in a market square"),
        ("market noises", "the bustle of a market", "the sounds of a busy marketplace"),
    ),
    "forest_birds": BackgroundWords(
        (("bird",),),
        ("birds sing in a forest", "birds chirp in the trees", "birdsong fills the forest"),
        (
            "in a forest full of birdsong",
            "in the woods with birds chirping",
            "amid birdsong",
            "among singing birds",
        ),
        ("birdsong", "chirping birds", "birds singing in the trees"),
    ),
    "night_insects": BackgroundWords(
        (("cricket", "insect"),),
        ("crickets chirp", "insects chirp in the night", "crickets chirp at night"),
        (
            "at night with crickets chirping",
            "on a night full of crickets",
            "amid chirping crickets",
            "among chirping insects",
        ),
        ("chirping crickets", "insects chirping at night", "a chorus of crickets"),
    ),
    "fire": BackgroundWords(
        (("fire", "campfire"),),
        ("a fire crackles", "a campfire crackles", "wood burns and crackles in a fire"),
        (
            "beside a crackling fire",
            "by a fire",
            "by a campfire",
            "next to a campfire",
            "near a burning fire",
        ),
        ("a crackling fire", "the crackle of a fire", "a burning campfire"),
    ),
}

LOUD_PHRASES = (" loudly", " nearby", " close by")
FAINT_PHRASES = (" faintly", " in the distance", " far away", " quietly", " softly")
# Noun phrases take only the "where" words: "a cow mooing nearby", not "a cow mooing loudly".
LOUD_PLACES = (" nearby", " close by")
FAINT_PLACES = (" in the distance", " far away")
COUNT_WORDS = {1: " once", 2: " twice", 3: " three times"}
# Chance that a caption says whether an event is loud or faint (Clotho captions often do not).
GAIN_PROBABILITY = 0.6
# How strongly word choices favour short options by the last try of `make_captions`.
BREVITY_RAMP = 4.0


@dataclass(frozen=True)
class EventMention:
    """What a caption must say about one event: label, repetitions and loudness."""

    label: str
    count: int
    loud: bool


def mentions(caption: str, label: str) -> bool:
    """True when `caption` has a word of every keyword group of `label` (event or background)."""
    words = EVENT_WORDS.get(label) or BACKGROUND_WORDS.get(label)
    if words is None:
        raise KeyError(f"no grammar entry for label {label!r}")
    tokens = normalize_caption(caption).split()
    return all(
        any(token.startswith(prefix) for token in tokens for prefix in group)
        for group in words.keywords
    )


def word_count(caption: str) -> int:
    """Words of a caption after the DCASE normalisation (punctuation deleted)."""
    return len(normalize_caption(caption).split())


@dataclass(frozen=True)
class _Writer:
    """Draws the words of one caption.

    `gain_p` is the chance of saying loud/faint for an event; `brevity` biases every choice
    towards its shorter options (0: uniform). Both change over the tries of `make_captions`, so
    that clips with three repeated events still get captions of at most MAX_WORDS words.
    """

    rng: np.random.Generator
    gain_p: float
    brevity: float

    def pick(self, options: Sequence[str]) -> str:
        lengths = np.array([len(option.split()) for option in options], dtype=float)
        weights = np.exp(-self.brevity * (lengths - lengths.min()))
        return options[int(self.rng.choice(len(options), p=weights / weights.sum()))]

    def count(self, event: EventMention) -> str:
        if not EVENT_WORDS[event.label].countable:
            return ""
        if event.count == 1:
            # "a cow moos" already says one moo; "once" is only sometimes spelled out.
            return COUNT_WORDS[1] if self.rng.random() < 0.3 / (1.0 + self.brevity) else ""
        return COUNT_WORDS[event.count]

    def gain(self, event: EventMention, phrases: tuple[Sequence[str], Sequence[str]]) -> str:
        if self.rng.random() >= self.gain_p:
            return ""
        loud, faint = phrases
        return self.pick(loud if event.loud else faint)

    def clause(self, event: EventMention) -> str:
        template = self.pick(EVENT_WORDS[event.label].clauses)
        return template.format(
            n=self.count(event), g=self.gain(event, (LOUD_PHRASES, FAINT_PHRASES))
        )

    def gerund(self, event: EventMention) -> str:
        template = self.pick(EVENT_WORDS[event.label].gerunds)
        return template.format(n=self.count(event), g=self.gain(event, (LOUD_PLACES, FAINT_PLACES)))

    def clauses(self, events: Sequence[EventMention]) -> str:
        """Events as clauses in temporal order: "A, then B before C"."""
        text = self.clause(events[0])
        joiners = [", then ", " and then ", " before ", ", after that "]
        for position, event in enumerate(events[1:], start=1):
            last = position == len(events) - 1
            joiner = self.pick(joiners + ([", and finally "] if last and len(events) > 2 else []))
            if joiner == " before ":
                joiners.remove(" before ")  # one "before" per caption reads well; two do not
            text += joiner + self.clause(event)
        return text

    def gerunds(self, events: Sequence[EventMention]) -> str:
        """Events as noun phrases in temporal order: "A followed by B and then C"."""
        text = self.gerund(events[0])
        for position, event in enumerate(events[1:], start=1):
            joiner = " followed by " if position == 1 else self.pick((", then ", " and then "))
            text += joiner + self.gerund(event)
        return text

    def caption(self, template: str, background: str, events: Sequence[EventMention]) -> str:
        """One caption (lower case, no final stop) from the named template."""
        bg = BACKGROUND_WORDS[background]
        if template == "sequence_setting":
            return f"{self.clauses(events)} {self.pick(bg.settings)}"
        if template == "setting_sequence":
            return f"{self.pick(bg.settings)}, {self.clauses(events)}"
        if template == "sequence_while_background":
            return f"{self.clauses(events)} while {self.pick(bg.clauses)}"
        if template == "background_while_sequence":
            return f"{self.pick(bg.clauses)} while {self.clauses(events)}"
        if template == "background_as_sequence":
            return f"{self.pick(bg.clauses)} as {self.clauses(events)}"
        if template == "background_and_sequence":
            return f"{self.pick(bg.clauses)} and {self.clauses(events)}"
        if template == "gerunds_heard_setting":
            return f"{self.gerunds(events)} can be heard {self.pick(bg.settings)}"
        if template == "background_with_gerunds":
            return f"{self.pick(bg.nominals)} with {self.gerunds(events)}"
        if template == "nominals_heard":
            return f"{self.pick(bg.nominals)} and {self.gerunds(events)} can be heard"
        if template == "over_background":
            return f"over {self.pick(bg.nominals)}, {self.clauses(events)}"
        if template == "first_then":
            first, rest = self.clause(events[0]), self.clauses(events[1:])
            return f"first {first}, then {rest} {self.pick(bg.settings)}"
        if template == "after":
            earlier, later = (self.clause(event) for event in events)
            return f"{later} after {earlier} {self.pick(bg.settings)}"
        raise ValueError(f"unknown caption template {template!r}")


def _templates(count: int) -> tuple[str, ...]:
    """Names of the caption templates that fit `count` events."""
    names = [
        "sequence_setting",
        "setting_sequence",
        "sequence_while_background",
        "background_while_sequence",
        "background_as_sequence",
        "background_and_sequence",
        "gerunds_heard_setting",
        "background_with_gerunds",
        "nominals_heard",
        "over_background",
    ]
    if count >= 2:
        names.append("first_then")
    if count == 2:
        names.append("after")
    return tuple(names)


def _finish(text: str) -> str:
    """Clotho style: capital first letter, final full stop."""
    return text[0].upper() + text[1:] + "."


def make_captions(
    rng: np.random.Generator,
    background: str,
    events: Sequence[EventMention],
    count: int = CAPTIONS_PER_CLIP,
    max_tries: int = 1000,
) -> list[str]:
    """`count` different captions of MIN_WORDS..MAX_WORDS words describing the clip.

    `events` must be in temporal order. Templates are tried in a random order so that the
    captions of one clip differ in structure, not only in synonyms.
    """
    if background not in BACKGROUND_WORDS:
        raise KeyError(f"no grammar entry for background {background!r}")
    if not events:
        raise ValueError("a clip needs at least one event to caption")
    for event in events:
        if event.label not in EVENT_WORDS:
            raise KeyError(f"no grammar entry for event {event.label!r}")
    templates = list(_templates(len(events)))
    order = [templates[i] for i in rng.permutation(len(templates))]
    captions: list[str] = []
    seen: set[str] = set()
    for attempt in range(max_tries):
        # Most clips succeed in the first tries with uniform choices; the few that do not
        # (three events, each repeated) are steered towards shorter words, then no loudness.
        progress = attempt / max_tries
        writer = _Writer(
            rng,
            gain_p=GAIN_PROBABILITY * max(0.0, 1.0 - 2.0 * progress),
            brevity=BREVITY_RAMP * progress,
        )
        caption = _finish(writer.caption(order[attempt % len(order)], background, events))
        key = normalize_caption(caption)
        if key in seen or not MIN_WORDS <= word_count(caption) <= MAX_WORDS:
            continue
        seen.add(key)
        captions.append(caption)
        if len(captions) == count:
            return captions
    raise RuntimeError(
        f"could not write {count} captions for background {background!r} and events "
        f"{[event.label for event in events]} in {max_tries} tries"
    )

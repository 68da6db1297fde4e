"""Clotho-style file names for ClothoMix clips: `Rain on a tin roof, heavy (2).wav`.

Clotho's clips keep the titles their Freesound uploaders gave them: words with spaces, commas,
parentheses, ampersands, apostrophes, hyphens, underscores and numbers (`Dog Barking &
Water.wav`, `birds_chirping-morning 03.wav`). A reader that splits a CSV on commas, builds a
path by string concatenation or passes a name to a shell breaks on them; ClothoMix at Clotho
scale names its clips the same way so that such a bug shows up offline, before a night on the
real data.

A name describes the clip loosely, as a title does (its background and first events), drawn
from the clip's own random stream. Names are kept safe on every file system: ASCII letters,
digits and ` ,()&'-_` only, never a leading dot, hyphen or space, never a trailing dot or
space, at most `MAX_STEM` characters before `.wav`. `unique_name` makes a name unique within a
dataset, case-insensitively (macOS and Windows folders do not tell `Rain.wav` from `rain.wav`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableSet, Sequence

import numpy as np

MAX_STEM = 96
EXTENSION = ".wav"
ALLOWED = re.compile(r"[A-Za-z0-9 ,()&'_-]+")

# Title phrases per label, as uploaders write them; every bank label has at least two.
EVENT_TITLES: dict[str, tuple[str, ...]] = {
    "cow": ("cow mooing", "cows moo", "moo", "dairy cow"),
    "sheep": ("sheep bleating", "sheep baa", "lambs", "flock of sheep"),
    "pig": ("pig grunts", "pig oinking", "pigs", "hungry pig"),
    "horse": ("horse neigh", "horse whinny", "horse", "pony"),
    "hooves": ("hooves on cobblestones", "horse hooves", "hoofbeats"),
    "chicken": ("chickens clucking", "hens", "chicken coop"),
    "rooster": ("rooster crowing", "cock-a-doodle-doo", "rooster"),
    "owl": ("owl hooting", "owl at night", "owl", "tawny owl"),
    "wolf": ("wolf howl", "wolves howling", "lone wolf"),
    "bees": ("bees buzzing", "beehive", "bee swarm"),
    "axe": ("axe chopping wood", "wood chop", "axe", "chopping logs"),
    "tree_fall": ("tree falling", "falling tree", "timber"),
    "saw": ("sawing wood", "hand saw", "saw"),
    "hammer": ("hammer on metal", "hammering", "hammer hits"),
    "pickaxe": ("pickaxe on stone", "mining pick", "pickaxe"),
    "metal": ("metal clang", "metal hits", "clanging metal"),
    "gate": ("gate creaking", "old gate", "wooden gate closing"),
    "thunder": ("thunder rumble", "thunderclap", "thunder", "storm"),
    "walking_gravel": ("footsteps on gravel", "walking gravel", "gravel steps"),
    "running_gravel": ("running on gravel", "gravel run", "jogging on gravel"),
    "walking_grass": ("footsteps in grass", "walking on grass", "grass steps"),
    "running_grass": ("running through grass", "grass run", "running in a field"),
    "walking_wood": ("footsteps on wooden floor", "walking on wood", "wooden floor steps"),
}
BACKGROUND_TITLES: dict[str, tuple[str, ...]] = {
    "rain": ("rain on a tin roof", "rain", "heavy rain", "rainy day"),
    "stream": ("babbling brook", "stream", "small creek"),
    "river": ("river flowing", "river", "riverside"),
    "waterfall": ("waterfall", "waterfall roar", "falls"),
    "waves": ("ocean waves", "waves on the shore", "sea"),
    "wind": ("wind blowing", "wind", "windy day", "strong wind"),
    "farm": ("farm ambience", "farmyard", "on the farm"),
    "harbour": ("harbour ambience", "harbor", "docks"),
    "market": ("busy market", "market square", "marketplace"),
    "forest_birds": ("birds chirping", "forest birds", "morning birds in the woods"),
    "night_insects": ("crickets at night", "night insects", "summer night"),
    "fire": ("crackling fire", "campfire", "fireplace"),
}
TIMES = ("morning", "night", "dusk", "evening", "afternoon", "dawn")
PLACES = ("garden", "village", "park", "backyard", "countryside", "field")
OWNERS = ("Grandma's", "Grandpa's", "my uncle's", "the neighbour's", "farmer's", "Tom's")
QUALIFIERS = ("close", "far", "loop", "edit", "stereo", "mono", "long", "short", "heavy", "light")
TAGS = ("ambience", "ambient", "atmosphere", "soundscape", "recording", "sfx", "field recording")

_Template = Callable[[np.random.Generator, str, Sequence[str]], str]


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _words(text: str, separator: str) -> str:
    return separator.join(text.split())


def _titles(rng: np.random.Generator, background: str, events: Sequence[str]):
    b = _pick(rng, BACKGROUND_TITLES[background])
    e = [_pick(rng, EVENT_TITLES[label]) for label in events]
    return b, e


def _and_background(rng, background, events):  # "Dog barks & man talks"
    b, e = _titles(rng, background, events)
    return f"{_capital(e[0])} & {b}"


def _background_comma(rng, background, events):  # "Rain on a tin roof, heavy"
    b, _ = _titles(rng, background, events)
    return f"{_capital(b)}, {_pick(rng, QUALIFIERS)}"


def _snake_time(rng, background, events):  # "birds_chirping-morning"
    b, e = _titles(rng, background, events)
    return f"{_words(e[0], '_')}_{_words(b, '_')}-{_pick(rng, TIMES)}"


def _with_events(rng, background, events):  # "Farmyard with cow mooing and saw"
    b, e = _titles(rng, background, events)
    listed = " and ".join(e[:2])
    return f"{_capital(b)} with {listed}"


def _owner(rng, background, events):  # "Grandma's farm (dawn)"
    b, _ = _titles(rng, background, events)
    return f"{_capital(_pick(rng, OWNERS))} {b} ({_pick(rng, TIMES)})"


def _dash_qualifier(rng, background, events):  # "Axe chopping wood - river (close)"
    b, e = _titles(rng, background, events)
    return f"{_capital(e[-1])} - {b} ({_pick(rng, QUALIFIERS)})"


def _tagged_place(rng, background, events):  # "Wind ambience, village"
    b, _ = _titles(rng, background, events)
    return f"{_capital(b)} {_pick(rng, TAGS)}, {_pick(rng, PLACES)}"


def _place_time(rng, background, events):  # "owl hooting in the park at dusk"
    _, e = _titles(rng, background, events)
    return f"{e[0]} in the {_pick(rng, PLACES)} at {_pick(rng, TIMES)}"


def _list_events(rng, background, events):  # "Hens, saw & rain"
    b, e = _titles(rng, background, events)
    return ", ".join([_capital(e[0]), *e[1:]]) + f" & {b}"


def _camel_underscore(rng, background, events):  # "Rain_On_A_Tin_Roof_loop"
    b, _ = _titles(rng, background, events)
    return "_".join(_capital(word) for word in b.split()) + f"_{_pick(rng, QUALIFIERS)}"


TEMPLATES: tuple[_Template, ...] = (
    _and_background,
    _background_comma,
    _snake_time,
    _with_events,
    _owner,
    _dash_qualifier,
    _tagged_place,
    _place_time,
    _list_events,
    _camel_underscore,
)
# How a take number is appended (or not): "(2)", " 03", "_01", " 2", "-1".
_NUMBER_STYLES = ("", "", " ({n})", " {n:02d}", "_{n:02d}", " {n}", "-{n}")


def is_clotho_style_safe(name: str) -> bool:
    """True for a name this module may produce: allowed characters, no edge dots or spaces."""
    if not name.endswith(EXTENSION):
        return False
    stem = name[: -len(EXTENSION)]
    return (
        0 < len(stem) <= MAX_STEM
        and ALLOWED.fullmatch(stem) is not None
        and stem[0] not in " -_"
        and stem[-1] not in " ."
    )


def _clean(stem: str) -> str:
    stem = re.sub(r"\s+", " ", stem).strip(" -_")
    return stem[:MAX_STEM].rstrip(" .-_,(&") or "recording"


def clotho_style_name(rng: np.random.Generator, background: str, events: Sequence[str]) -> str:
    """A Clotho-style title for a clip of `background` with `events` (labels), `.wav` added.

    Every choice comes from `rng`, so the same generator state gives the same name.
    """
    if not events:
        raise ValueError("a clip has at least one event")
    template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
    stem = template(rng, background, list(events))
    if rng.random() < 0.25:
        stem = stem.lower()
    number = _NUMBER_STYLES[int(rng.integers(len(_NUMBER_STYLES)))]
    stem = stem + number.format(n=int(rng.integers(1, 21)))
    return _clean(stem) + EXTENSION


def unique_name(name: str, taken: MutableSet[str]) -> str:
    """`name`, or `name (2)`, `name (3)`, … : the first whose case-folded form is not in `taken`
    (which it is added to)."""
    stem = name[: -len(EXTENSION)] if name.endswith(EXTENSION) else name
    candidate, copy = name, 1
    while candidate.casefold() in taken:
        copy += 1
        suffix = f" ({copy})"
        candidate = stem[: MAX_STEM - len(suffix)].rstrip(" .") + suffix + EXTENSION
    taken.add(candidate.casefold())
    return candidate

"""Build the ClothoMix sound bank (`aacr_lib/data/soundbank/`) and the unseen recordings
(`aacr_lib/data/unseen/`) from Debian game-data packages.

The bank holds real field recordings of everyday sounds shipped by seven Debian packages:
`0ad-data` (0 A.D., Wildfire Games), `megaglest-data` (MegaGlest), `redeclipse-data` (Red
Eclipse), `supertuxkart-data` (SuperTuxKart), `flare-game` (Flare), `lugaru-data` (Lugaru) and
`minetest-data` (Minetest Game). Every file is under a licence that allows redistribution as
part of a CC BY-SA 3.0 adaptation (CC BY-SA 3.0, CC BY 3.0 or CC0 1.0, as each package's
`debian/copyright` says for that file); the manifest keeps each file's licence and credit. The
unseen recordings come from an eighth package, `scratch` (Scratch 1.4's media library,
CC BY-SA 3.0), which the bank does not use: the book asks the demo models about them.

Users never run this script: its output is committed as package data. It exists so that anyone
can check and reproduce where every file came from.

    python scripts/build_soundbank.py                 # apt-get download the packages
    python scripts/build_soundbank.py --debs DIR      # reuse .deb files already in DIR

Steps: `apt-get download` the .debs into a temporary folder (nothing is installed), unpack
them with `dpkg -x`, take the files named in `PICKS` (0 A.D. keeps its audio inside
`public.zip`), cut the listed time window, trim leading and trailing silence of events,
resample to 16 kHz mono, peak-normalise to -1 dBFS and encode Ogg Vorbis.

Then group the bank files by **source recording**: files cut from one source file are one
recording, and so are source files of one label that share audio (a file copied under another
name, or a cut or a filtered copy of another: their waveforms correlate, see
`shared_material`). Each recording gets one split by the rule of
`aacr_lib.data.clothomix.bank.assign_splits`, so no recording is heard in two splits. Last,
write `manifest.csv`, `ATTRIBUTION.md` and `LICENSE.txt` (the CC BY-SA 3.0 legal code as
shipped in megaglest-data).

Given the same packages the output is byte-identical: libsndfile gives every Ogg stream a random
serial number, so the script rewrites it (and the page checksums) with a value derived from the
file name.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from aacr_lib.audio import load_audio  # noqa: E402
from aacr_lib.data.clothomix.bank import assign_splits  # noqa: E402

SAMPLE_RATE = 16_000
PEAK_DBFS = -1.0
# libsndfile maps this to Vorbis quality 1 - level = 0.7 (about 50 kbit/s for 16 kHz mono):
# transparent enough for 16 kHz features while the whole bank stays far below 25 MB.
VORBIS_COMPRESSION_LEVEL = 0.3
MAX_BANK_BYTES = 25 * 1024 * 1024

ZERO_AD = "0ad-data"
MEGAGLEST = "megaglest-data"
REDECLIPSE = "redeclipse-data"
SUPERTUXKART = "supertuxkart-data"
FLARE = "flare-game"
LUGARU = "lugaru-data"
MINETEST = "minetest-data"
SCRATCH = "scratch"  # the unseen recordings only
BANK_PACKAGES = (ZERO_AD, MEGAGLEST, REDECLIPSE, SUPERTUXKART, FLARE, LUGARU, MINETEST)
PACKAGES = (*BANK_PACKAGES, SCRATCH)
ZERO_AD_ZIP = "usr/share/games/0ad/mods/public/public.zip"
MG = "usr/share/games/megaglest"
# Where each package keeps its data; a pick's path is relative to it.
PACKAGE_ROOTS = {
    MEGAGLEST: MG,
    REDECLIPSE: "usr/share/games/redeclipse/data",
    SUPERTUXKART: "usr/share/games/supertuxkart/data",
    FLARE: "usr/share/games/flare/mods",
    LUGARU: "usr/share/games/lugaru",
    MINETEST: "usr/share/games/minetest/games/minetest_game/mods",
    SCRATCH: "usr/share/scratch/Media/Sounds",
}
MG_LICENSE_TEXT = f"{MG}/docs/cc-by-sa-3.0-unported.txt"
LICENCE = "CC-BY-SA-3.0"
LICENCE_URL = "https://creativecommons.org/licenses/by-sa/3.0/"
# Licences a file may have to go into the bank (CC BY-SA 3.0 adaptations may include them).
COMPATIBLE_LICENCES = ("CC-BY-SA-3.0", "CC-BY-3.0", "CC0-1.0")
# Two source files of one label scoring this much in `shared_material` share audio.
SHARED_MATERIAL_THRESHOLD = 0.3
UNSEEN_DIR = REPO_ROOT / "aacr_lib" / "data" / "unseen"

ZERO_AD_ATTRIBUTION = (
    "Copyright (C) 2009 Wildfire Games, 0 A.D. (http://www.wildfiregames.com/), CC BY-SA 3.0"
)
GLEST_TEAMS = (
    "Copyright 2001-2008 The Glest Team (http://glest.org), "
    "2008-2017 The MegaGlest Team (http://megaglest.org)"
)
# Authors named in megaglest-data's docs/AUTHORS.data.txt for the parts used here.
MEGAGLEST_CREDITS = {
    "tilesets/autumn": "tileset Autumn by Titus Tscharntke (titi)",
    "tilesets/autumn/sounds/sunny_day.ogg": (
        "tileset Autumn by Titus Tscharntke (titi); autumn day sound by Elimnator "
        "(http://www.soundbible.com)"
    ),
    "tilesets/autumn/sounds/nightime.ogg": (
        "tileset Autumn by Titus Tscharntke (titi); autumn night sound by Elimnator "
        "(http://www.soundbible.com)"
    ),
    "tilesets/birch_forest": "tileset Birch Forest by Titus Tscharntke (titi)",
    "tilesets/dark_forest": "tileset Dark Forest",
    "tilesets/desert2": "tileset Desert2 by Idanwin and Titus Tscharntke (titi)",
    "tilesets/fernland": "tileset Fernland by Titus Tscharntke (titi)",
    "tilesets/pine_peat": "tileset Pine Peat by Trappin modified by Titus Tscharntke (titi)",
    "tilesets/spring": (
        "tileset Spring by Philipp Tscharntke; spring daytime ambience by dobroide "
        "(http://forum.freegamedev.net)"
    ),
    "tilesets/winter": "tileset Winter by Titus Tscharntke (titi)",
    "tilesets/winter_forest": "tileset Winter Forest",
    "techs/megapack/commondata": "megapack common data",
    "techs/megapack/factions/indian": (
        "Indians faction, Copyright 2007-2011 Titus Tscharntke and Philipp Tscharntke "
        "(http://www.titusgames.de)"
    ),
    "techs/megapack/factions/persian": (
        "Persians faction, Copyright 2010-2011 Titus Tscharntke and Philipp Tscharntke "
        "(http://www.titusgames.de)"
    ),
}


@dataclass(frozen=True)
class Pick:
    """One bank file: where it comes from, what it is, and which part of the source to keep."""

    label: str
    kind: str  # "background" | "event"
    package: str
    path: str  # inside the package; for 0ad-data, the member of public.zip
    description: str
    start: float = 0.0
    end: float | None = None
    fade_out: float = 0.0
    # For packages whose files carry different licences and authors: this file's, from the
    # package's debian/copyright (the others take the package's own, see `attribution`).
    licence: str = ""
    credit: str = ""


def _bg(
    label: str, package: str, path: str, description: str, start=0.0, end=None, **rights
) -> Pick:
    return Pick(label, "background", package, path, description, start, end, **rights)


def _ev(label: str, package: str, path: str, description: str, **window) -> Pick:
    return Pick(label, "event", package, path, description, **window)


A = "audio/ambient"
FAUNA = "audio/actor/fauna/animal"
STEPS = "audio/actor/human/movement/Footsteps"
MGT = "tilesets"
MGC = "techs/megapack/commondata/sounds"
MGF = "techs/megapack/factions"
RE = "sounds/ambience"
STK = "sfx"
FL = "fantasycore/soundfx/environment"
MT = "env_sounds/sounds"

# Per-file rights where a package's files differ (their debian/copyright stanzas).
CC0 = "CC0-1.0"
CC_BY = "CC-BY-3.0"
RE_AMBIENCE = 'Quinton "quin" Reeves, Alex "blackshoe" Anguix'
RE_HUMPHRIES = 'Richard "RHumphries" Humphries (freesound.org)'
RE_KAHN = 'Tim "Corsica_S" Kahn (freesound.org)'
RE_DOBROIDE = 'Dob "dobroide" Roide (freesound.org)'

# The curated list. Chosen by inspecting spectrograms and file names of both packages: only
# recordings of real, everyday sources; no game voices, weapons, magic or interface sounds;
# no ambience with digital-silence gaps (0 A.D.'s `wind_11`, `day_temperate_*`), since a
# background has to sound continuously. Long recordings contribute up to 30 s windows.
PICKS: tuple[Pick, ...] = (
    # --- backgrounds ---
    _bg("rain", ZERO_AD, f"{A}/weather/rain_11.ogg", "steady rain", 0, 30),
    _bg("rain", ZERO_AD, f"{A}/weather/rain_11.ogg", "steady rain", 60, 90),
    _bg("rain", ZERO_AD, f"{A}/weather/rain_11.ogg", "steady rain", 90, 120),
    _bg("rain", ZERO_AD, f"{A}/weather/rain_12.ogg", "light rain", 10, 40),
    _bg("rain", ZERO_AD, f"{A}/weather/rain_12.ogg", "light rain", 60, 90),
    _bg("rain", MEGAGLEST, f"{MGT}/autumn/sounds/rain.ogg", "rain shower"),
    _bg("rain", MEGAGLEST, f"{MGT}/birch_forest/sounds/rain.ogg", "rain in a forest"),
    _bg("rain", MEGAGLEST, f"{MGT}/desert2/sounds/rain.wav", "heavy rain", 0, 12),
    _bg("rain", FLARE, "empyrean_campaign/soundfx/environment/rain.ogg", "steady rain", 0, 30),
    _bg("rain", FLARE, "empyrean_campaign/soundfx/environment/rain.ogg", "steady rain", 30, 60),
    # 0 A.D.'s river_slow_21 (a stream) shares audio with its river_fast_21: left out.
    _bg("stream", REDECLIPSE, f"{RE}/creek.ogg", "a creek", credit=RE_HUMPHRIES),
    _bg(
        "stream",
        MINETEST,
        f"{MT}/env_sounds_water.1.ogg",
        "flowing water",
        licence=CC0,
        credit="Yuval (https://freesound.org/people/Yuval/sounds/197023/)",
    ),
    _bg("stream", FLARE, f"{FL}/river_loop.ogg", "a small stream"),
    _bg("river", ZERO_AD, f"{A}/water/river_med_21.ogg", "river flowing at medium speed"),
    _bg("river", ZERO_AD, f"{A}/water/river_fast_21.ogg", "fast flowing river"),
    _bg("river", ZERO_AD, f"{A}/water/river_raging_21.ogg", "raging river"),
    _bg(
        "river",
        REDECLIPSE,
        f"{RE}/river.ogg",
        "river",
        0,
        30,
        credit='2005 Mike "Acclivity" (freesound.org)',
    ),
    _bg(
        "river",
        SUPERTUXKART,
        f"{STK}/river_loop.ogg",
        "river",
        licence=CC0,
        credit="2012 Adam Newns (http://freesound.org/people/Adam_N/sounds/166310/)",
    ),
    # 0 A.D.'s waterfall_31 shares audio with its river_raging_21: left out.
    _bg("waterfall", REDECLIPSE, f"{RE}/waterfall2.ogg", "waterfall", credit=RE_KAHN),
    _bg("waterfall", REDECLIPSE, f"{RE}/waterfall3.ogg", "waterfall", credit=RE_KAHN),
    _bg(
        "waterfall",
        SUPERTUXKART,
        f"{STK}/waterfall_loop_2.ogg",
        "waterfall",
        licence=CC0,
        credit='2014 Leonard "VKProduktion" Graf (http://freesound.org/people/VKProduktion/'
        "sounds/215711/)",
    ),
    _bg("waves", ZERO_AD, f"{A}/water/wave_21.ogg", "waves breaking on a beach"),
    _bg("waves", ZERO_AD, f"{A}/water/wavecrash_21.ogg", "waves crashing"),
    _bg("waves", ZERO_AD, f"{A}/water/waverocky_21.ogg", "waves on a rocky shore", 0, 30),
    _bg("wind", ZERO_AD, f"{A}/weather/windstorm_11.ogg", "strong wind", 0, 30),
    _bg("wind", ZERO_AD, f"{A}/weather/windstorm_11.ogg", "strong wind", 30, 60),
    _bg("wind", ZERO_AD, f"{A}/weather/windstorm_11.ogg", "strong wind", 60, 90),
    _bg("wind", ZERO_AD, f"{A}/weather/windstorm_11.ogg", "strong wind", 90, 122),
    _bg("wind", MEGAGLEST, f"{MGT}/winter/sounds/wind.ogg", "wintry wind"),
    _bg("wind", MEGAGLEST, f"{MGT}/winter_forest/sounds/wind.ogg", "wind in a winter forest"),
    _bg("wind", LUGARU, "Sounds/Wind.ogg", "gusty wind", 0, 30),
    _bg("wind", LUGARU, "Sounds/Wind.ogg", "gusty wind", 30, 60),
    _bg(
        "wind",
        REDECLIPSE,
        f"{RE}/wind.ogg",
        "wind",
        credit="Batuhan Bozkurt (http://www.freesound.org/samplesViewSingle.php?id=17735)",
    ),
    _bg("wind", FLARE, f"{FL}/wind_loop.ogg", "wind", 0, 30),
    _bg("farm", ZERO_AD, f"{A}/building/amb_farm_10.ogg", "farmyard ambience"),
    _bg("farm", ZERO_AD, f"{A}/building/amb_farm_11.ogg", "farmyard ambience"),
    _bg("farm", ZERO_AD, f"{A}/building/amb_farm_12.ogg", "farmyard ambience"),
    _bg("farm", ZERO_AD, f"{A}/building/amb_farm_13.ogg", "farmyard ambience"),
    _bg("farm", ZERO_AD, f"{A}/building/amb_farm_20.ogg", "farmyard ambience"),
    _bg("harbour", ZERO_AD, f"{A}/building/amb_port_10.ogg", "harbour ambience"),
    _bg("harbour", ZERO_AD, f"{A}/building/amb_port_11.ogg", "harbour ambience"),
    _bg("harbour", ZERO_AD, f"{A}/building/amb_port_12.ogg", "harbour ambience"),
    # amb_port_20 shares audio with the farm ambiences amb_farm_12 and amb_farm_20: left out.
    _bg("harbour", ZERO_AD, f"{A}/building/amb_port_21.ogg", "harbour ambience"),
    _bg("market", ZERO_AD, f"{A}/building/amb_trade_10.ogg", "busy marketplace"),
    _bg("market", ZERO_AD, f"{A}/building/amb_trade_11.ogg", "busy marketplace"),
    _bg("market", ZERO_AD, f"{A}/building/amb_trade_12.ogg", "busy marketplace"),
    _bg("market", ZERO_AD, f"{A}/building/amb_trade_13.ogg", "busy marketplace"),
    _bg("market", ZERO_AD, f"{A}/building/amb_trade_20.ogg", "busy marketplace"),
    _bg(
        "forest_birds", MEGAGLEST, f"{MGT}/birch_forest/sounds/day.ogg", "birds in a forest", 0, 30
    ),
    _bg("forest_birds", MEGAGLEST, f"{MGT}/dark_forest/sounds/day.ogg", "birds in a forest", 0, 30),
    _bg("forest_birds", MEGAGLEST, f"{MGT}/spring/sounds/day.ogg", "spring birdsong", 0, 30),
    _bg("forest_birds", MEGAGLEST, f"{MGT}/spring/sounds/day.ogg", "spring birdsong", 30, 60),
    _bg("forest_birds", MEGAGLEST, f"{MGT}/autumn/sounds/sunny_day.ogg", "birds on a sunny day"),
    _bg(
        "forest_birds",
        REDECLIPSE,
        f"{RE}/forest1.ogg",
        "birds in a forest",
        licence=CC_BY,
        credit=RE_DOBROIDE,
    ),
    _bg(
        "forest_birds",
        REDECLIPSE,
        f"{RE}/forest3.ogg",
        "birds in a forest",
        0,
        30,
        licence=CC_BY,
        credit=RE_DOBROIDE,
    ),
    _bg(
        "forest_birds",
        SUPERTUXKART,
        f"{STK}/exotic-birds_2.ogg",
        "birdsong",
        licence=CC0,
        credit='2011 "mpfeiffer" (http://freesound.org/people/mpfeiffer/sounds/115758/)',
    ),
    _bg("night_insects", MEGAGLEST, f"{MGT}/dark_forest/sounds/night.ogg", "crickets", 0, 30),
    _bg("night_insects", MEGAGLEST, f"{MGT}/dark_forest/sounds/night.ogg", "crickets", 30, 52),
    _bg("night_insects", MEGAGLEST, f"{MGT}/autumn/sounds/nightime.ogg", "crickets at night"),
    _bg("night_insects", MEGAGLEST, f"{MGT}/fernland/sounds/night.ogg", "insects", 0, 30),
    _bg("night_insects", MEGAGLEST, f"{MGT}/fernland/sounds/night.ogg", "insects", 30, 60),
    _bg("night_insects", MEGAGLEST, f"{MGT}/fernland/sounds/night.ogg", "insects", 60, 91),
    _bg("night_insects", REDECLIPSE, f"{RE}/nightcrickets.ogg", "crickets", credit=RE_HUMPHRIES),
    _bg(
        "night_insects",
        REDECLIPSE,
        f"{RE}/cycadas.ogg",
        "cicadas",
        licence=CC_BY,
        credit=RE_DOBROIDE,
    ),
    _bg("fire", ZERO_AD, "audio/attack/fire/c_11.ogg", "crackling fire"),
    _bg("fire", ZERO_AD, "audio/attack/fire/c_12.ogg", "crackling fire"),
    _bg("fire", ZERO_AD, "audio/attack/fire/c_13.ogg", "crackling fire"),
    _bg("fire", ZERO_AD, "audio/attack/fire/c_15.ogg", "crackling fire"),
    _bg("fire", ZERO_AD, "audio/attack/fire/c_17.ogg", "crackling fire"),
    _bg("fire", ZERO_AD, "audio/attack/fire/c_19.ogg", "crackling fire"),
    _bg("fire", REDECLIPSE, f"{RE}/fire.ogg", "crackling fire", credit=RE_AMBIENCE),
    _bg("fire", LUGARU, "Sounds/Fire.ogg", "crackling fire"),
    _bg(
        "fire",
        MINETEST,
        "fire/sounds/fire_fire.1.ogg",
        "crackling fire",
        licence=CC_BY,
        credit="Dynamicell (http://www.freesound.org/people/Dynamicell/sounds/17548/)",
    ),
    # --- events: animals ---
    _ev("cow", ZERO_AD, f"{FAUNA}/cattle_01.ogg", "cow mooing"),
    _ev("cow", ZERO_AD, f"{FAUNA}/cattle_02.ogg", "cow mooing"),
    _ev("cow", ZERO_AD, f"{FAUNA}/cattle_03.ogg", "cow mooing"),
    _ev("cow", ZERO_AD, f"{FAUNA}/cattle_04.ogg", "cow mooing"),
    _ev("cow", ZERO_AD, f"{FAUNA}/cattle_05.ogg", "cow mooing"),
    _ev("cow", ZERO_AD, f"{FAUNA}/cattle_06.ogg", "cow mooing"),
    _ev("cow", ZERO_AD, f"{FAUNA}/cattle_07.ogg", "cow mooing"),
    _ev("cow", MEGAGLEST, f"{MGC}/cow_ack1.wav", "cow mooing"),
    _ev("cow", MEGAGLEST, f"{MGC}/cow_select1.wav", "cow mooing"),
    _ev("cow", MEGAGLEST, f"{MGT}/pine_peat/sounds/mudchute_cow_1.ogg", "cow mooing"),
    _ev(
        "cow",
        SUPERTUXKART,
        "tracks/black_forest/cow.ogg",
        "cow mooing",
        credit="Secretlondon, Buffbill84",
    ),
    _ev("sheep", ZERO_AD, f"{FAUNA}/sheep_10.ogg", "sheep bleating"),
    _ev("sheep", MEGAGLEST, f"{MGF}/persian/units/sheep/sounds/sheep1.wav", "sheep bleating"),
    _ev("sheep", MEGAGLEST, f"{MGF}/persian/units/sheep/sounds/sheep2.wav", "sheep bleating"),
    _ev("sheep", MEGAGLEST, f"{MGF}/persian/units/sheep/sounds/sheep3.wav", "sheep bleating"),
    _ev("sheep", MEGAGLEST, f"{MGF}/persian/units/sheep/sounds/sheep5.wav", "sheep bleating"),
    _ev("sheep", MEGAGLEST, f"{MGF}/persian/units/sheep/sounds/sheep6.wav", "sheep bleating"),
    _ev("sheep", MEGAGLEST, f"{MGF}/persian/units/sheep/sounds/sheep7.wav", "sheep bleating"),
    _ev("sheep", MEGAGLEST, f"{MGF}/persian/units/sheep/sounds/sheep9.wav", "sheep bleating"),
    _ev("pig", ZERO_AD, f"{FAUNA}/pig_10.ogg", "pig grunting"),
    _ev("pig", MEGAGLEST, f"{MGC}/pig_ack2.wav", "pig grunting"),
    _ev("pig", MEGAGLEST, f"{MGC}/pig_ack4.wav", "pig grunting"),
    _ev("pig", MEGAGLEST, f"{MGC}/pig_select4.wav", "pig grunting"),
    _ev("horse", ZERO_AD, f"{FAUNA}/horse_select1.ogg", "horse neighing"),
    _ev("horse", ZERO_AD, f"{FAUNA}/horse_select2.ogg", "horse neighing"),
    _ev("horse", ZERO_AD, f"{FAUNA}/horse_select3.ogg", "horse neighing"),
    _ev("horse", ZERO_AD, f"{FAUNA}/horse_idle1.ogg", "horse neighing"),
    _ev("hooves", ZERO_AD, "audio/actor/mounted/movement/mstep110.ogg", "horse hooves"),
    _ev("hooves", ZERO_AD, "audio/actor/mounted/movement/mstep111.ogg", "horse hooves"),
    _ev("hooves", ZERO_AD, "audio/actor/mounted/movement/mstep113.ogg", "horse hooves"),
    _ev("chicken", ZERO_AD, f"{FAUNA}/chicken_10.ogg", "hen clucking"),
    _ev("chicken", ZERO_AD, f"{FAUNA}/chicken_11.ogg", "hen clucking"),
    _ev("chicken", ZERO_AD, f"{FAUNA}/chicken_12.ogg", "hen clucking"),
    _ev("chicken", ZERO_AD, f"{FAUNA}/chicken_13.ogg", "hen clucking"),
    _ev("chicken", MEGAGLEST, f"{MGT}/birch_forest/sounds/chicken.wav", "hen clucking"),
    _ev("rooster", MEGAGLEST, f"{MGT}/autumn/sounds/rooster.ogg", "rooster crowing"),
    _ev("owl", MEGAGLEST, f"{MGT}/autumn/sounds/owl.ogg", "owl hooting"),
    _ev("owl", FLARE, f"{FL}/forest_owl_loop.ogg", "owl hooting in a forest"),
    _ev("wolf", MEGAGLEST, f"{MGT}/birch_forest/sounds/wolf.wav", "wolf howling"),
    _ev("wolf", MEGAGLEST, f"{MGT}/desert2/sounds/wolf.wav", "wolf howling"),
    _ev("bees", MEGAGLEST, f"{MGF}/indian/units/beehive/sounds/bee1.wav", "bees buzzing"),
    _ev("bees", MEGAGLEST, f"{MGF}/indian/units/beehive/sounds/bee3.wav", "bees buzzing"),
    _ev("bees", MEGAGLEST, f"{MGF}/indian/units/beehive/sounds/bee4.wav", "bees buzzing"),
    # --- events: work and weather ---
    _ev("axe", ZERO_AD, "audio/resource/lumbering/lumber_tree_01.ogg", "axe chopping a tree"),
    _ev("axe", ZERO_AD, "audio/resource/lumbering/lumber_tree_03.ogg", "axe chopping a tree"),
    _ev("axe", ZERO_AD, "audio/resource/lumbering/lumber_tree_05.ogg", "axe chopping a tree"),
    _ev("axe", ZERO_AD, "audio/resource/lumbering/lumber_tree_15.ogg", "axe chopping a tree"),
    _ev("axe", ZERO_AD, "audio/resource/lumbering/lumber_tree_20.ogg", "axe chopping a tree"),
    _ev("axe", ZERO_AD, "audio/resource/lumbering/lumber_tree_08.ogg", "axe chopping a tree"),
    _ev("axe", ZERO_AD, "audio/resource/lumbering/lumber_tree_10.ogg", "axe chopping a tree"),
    _ev("axe", ZERO_AD, "audio/resource/lumbering/lumber_tree_13.ogg", "axe chopping a tree"),
    _ev("tree_fall", ZERO_AD, "audio/resource/lumbering/lumber_treeexpire_02.ogg", "tree falling"),
    _ev("tree_fall", ZERO_AD, "audio/resource/lumbering/lumber_treeexpire_03.ogg", "tree falling"),
    _ev("tree_fall", ZERO_AD, "audio/resource/lumbering/lumber_treeexpire_04.ogg", "tree falling"),
    _ev("saw", ZERO_AD, "audio/resource/construction/con_saw_01.ogg", "hand saw cutting wood"),
    _ev("saw", ZERO_AD, "audio/resource/construction/con_saw_03.ogg", "hand saw cutting wood"),
    _ev("saw", ZERO_AD, "audio/resource/construction/con_saw_05.ogg", "hand saw cutting wood"),
    _ev("saw", ZERO_AD, "audio/resource/construction/con_saw_07.ogg", "hand saw cutting wood"),
    _ev("saw", ZERO_AD, "audio/resource/construction/con_saw_09.ogg", "hand saw cutting wood"),
    _ev("hammer", ZERO_AD, "audio/resource/construction/con_wood_01.ogg", "hammer on wood"),
    _ev("hammer", ZERO_AD, "audio/resource/construction/con_wood_02.ogg", "hammer on wood"),
    _ev("hammer", ZERO_AD, "audio/resource/construction/con_wood_04.ogg", "hammer on wood"),
    _ev("hammer", ZERO_AD, "audio/resource/construction/con_wood_05.ogg", "hammer on wood"),
    _ev("hammer", ZERO_AD, "audio/resource/construction/con_wood_06.ogg", "hammer on wood"),
    _ev("hammer", ZERO_AD, "audio/resource/construction/con_wood_09.ogg", "hammer on wood"),
    _ev("hammer", ZERO_AD, "audio/resource/construction/con_wood_12.ogg", "hammer on wood"),
    _ev("pickaxe", ZERO_AD, "audio/resource/mining/mine_stone_01.ogg", "pickaxe striking stone"),
    _ev("pickaxe", ZERO_AD, "audio/resource/mining/mine_stone_09.ogg", "pickaxe striking stone"),
    _ev("pickaxe", ZERO_AD, "audio/resource/mining/mine_stone_15.ogg", "pickaxe striking stone"),
    _ev("pickaxe", ZERO_AD, "audio/resource/mining/mine_stone_25.ogg", "pickaxe striking stone"),
    _ev("pickaxe", ZERO_AD, "audio/resource/mining/mine_stone_05.ogg", "pickaxe striking stone"),
    _ev("pickaxe", ZERO_AD, "audio/resource/mining/mine_stone_13.ogg", "pickaxe striking stone"),
    _ev("pickaxe", ZERO_AD, "audio/resource/mining/mine_stone_21.ogg", "pickaxe striking stone"),
    _ev("metal", ZERO_AD, "audio/resource/mining/mine_metal_01.ogg", "pick striking metal"),
    _ev("metal", ZERO_AD, "audio/resource/mining/mine_metal_02.ogg", "pick striking metal"),
    _ev("metal", ZERO_AD, "audio/resource/mining/mine_metal_17.ogg", "pick striking metal"),
    _ev("metal", ZERO_AD, "audio/resource/mining/mine_metal_23.ogg", "pick striking metal"),
    _ev("metal", ZERO_AD, "audio/resource/mining/mine_metal_08.ogg", "pick striking metal"),
    _ev("metal", ZERO_AD, "audio/resource/mining/mine_metal_15.ogg", "pick striking metal"),
    _ev("metal", ZERO_AD, "audio/resource/mining/mine_metal_20.ogg", "pick striking metal"),
    _ev("gate", ZERO_AD, "audio/actor/gate/stonegate_close_21.ogg", "heavy gate closing"),
    _ev("gate", ZERO_AD, "audio/actor/gate/stonegate_close_22.ogg", "heavy gate closing"),
    # Thunder recordings run 12-13 s; one rumble is kept, faded out.
    _ev(
        "thunder",
        ZERO_AD,
        f"{A}/weather/thunder_10.ogg",
        "thunder",
        start=1.5,
        end=8.0,
        fade_out=2.0,
    ),
    _ev(
        "thunder",
        ZERO_AD,
        f"{A}/weather/thunder_11.ogg",
        "thunder",
        start=0.0,
        end=6.5,
        fade_out=2.0,
    ),
    _ev(
        "thunder",
        SUPERTUXKART,
        f"{STK}/thunder.ogg",
        "thunder",
        licence=CC_BY,
        credit='2009 Mike Koenig, 2011 Marianne "Auria" Gagnon',
    ),
    # --- events: footsteps ---
    _ev("walking_gravel", ZERO_AD, f"{STEPS}/Footstep_Gravel_Walking.ogg", "walking on gravel"),
    _ev("running_gravel", ZERO_AD, f"{STEPS}/Footstep_Gravel_Running.ogg", "running on gravel"),
    _ev("walking_grass", ZERO_AD, f"{STEPS}/Footstep_Grass_Walking.ogg", "walking on grass"),
    _ev("running_grass", ZERO_AD, f"{STEPS}/Footstep_Grass_Running.ogg", "running on grass"),
    _ev("walking_wood", ZERO_AD, f"{STEPS}/Footstep_Wood_Walking.ogg", "walking on wood"),
)

# Real recordings from a package the bank does not use, for the book's "sounds from elsewhere":
# labels the demo was trained on (and one it never saw), each from Scratch 1.4's media library.
# `label` is the bank label the recording is an instance of ("" for none).
UNSEEN_PICKS: tuple[Pick, ...] = (
    _ev("rooster", SCRATCH, "Animal/Rooster.wav", "a rooster crowing"),
    _ev("owl", SCRATCH, "Animal/Owl.wav", "an owl hooting"),
    _ev("wolf", SCRATCH, "Animal/WolfHowl.wav", "a wolf howling"),
    _ev("horse", SCRATCH, "Animal/Horse.wav", "a horse neighing"),
    _ev("hooves", SCRATCH, "Animal/HorseGallop.wav", "a horse galloping"),
    _ev("night_insects", SCRATCH, "Animal/Crickets.wav", "crickets chirping"),
    _ev("walking_wood", SCRATCH, "Human/Footsteps-1.wav", "footsteps"),
    _ev("", SCRATCH, "Effects/DoorCreak.wav", "a door creaking open"),
)

MANIFEST_COLUMNS = (
    "file",
    "label",
    "kind",
    "description",
    "duration",
    "frames",
    "sample_rate",
    "bytes",
    "sha256",
    "source_package",
    "source_version",
    "source_path",
    "source_window",
    "recording",
    "split",
    "licence",
    "attribution",
)
# The unseen recordings' manifest: the same, less what only the bank's files have.
UNSEEN_COLUMNS = tuple(
    column
    for column in MANIFEST_COLUMNS
    if column not in ("kind", "source_window", "recording", "split")
)


# ---------------------------------------------------------------- pure signal processing


def frame_db(waveform: np.ndarray, frame: int) -> np.ndarray:
    """RMS level in dBFS of consecutive non-overlapping frames (the last partial frame too)."""
    padded = np.pad(waveform, (0, (-len(waveform)) % frame))
    power = np.mean(padded.reshape(-1, frame).astype(np.float64) ** 2, axis=1)
    return 10 * np.log10(power + 1e-12)


def trim_silence(
    waveform: np.ndarray,
    sample_rate: int,
    relative_db: float = 45.0,
    floor_db: float = -70.0,
    keep_before: float = 0.02,
    keep_after: float = 0.05,
) -> np.ndarray:
    """Cut leading and trailing frames quieter than `relative_db` below the loudest frame.

    A few milliseconds before the first and after the last loud frame are kept so that attacks
    and decays are not clipped; an all-quiet input is returned unchanged.
    """
    frame = max(1, int(0.01 * sample_rate))
    levels = frame_db(waveform, frame)
    threshold = max(levels.max() - relative_db, floor_db)
    loud = np.flatnonzero(levels > threshold)
    if loud.size == 0:
        return waveform
    start = max(0, loud[0] * frame - int(keep_before * sample_rate))
    end = min(len(waveform), (loud[-1] + 1) * frame + int(keep_after * sample_rate))
    return waveform[start:end]


def apply_fades(waveform: np.ndarray, sample_rate: int, fade_in: float, fade_out: float):
    """Linear fade-in and fade-out (seconds) so that cut edges do not click."""
    out = waveform.astype(np.float32, copy=True)
    n_in = min(len(out), int(fade_in * sample_rate))
    n_out = min(len(out), int(fade_out * sample_rate))
    if n_in:
        out[:n_in] *= np.linspace(0.0, 1.0, n_in, dtype=np.float32)
    if n_out:
        out[-n_out:] *= np.linspace(1.0, 0.0, n_out, dtype=np.float32)
    return out


def peak_normalise(waveform: np.ndarray, peak_dbfs: float = PEAK_DBFS) -> np.ndarray:
    """Scale so that the largest absolute sample is `peak_dbfs`."""
    peak = float(np.max(np.abs(waveform)))
    if peak == 0.0:
        raise ValueError("cannot normalise a silent signal")
    return (waveform * (10 ** (peak_dbfs / 20) / peak)).astype(np.float32)


def prepare(pick: Pick, waveform: np.ndarray, sample_rate: int) -> np.ndarray:
    """Window, trim, fade and normalise one source recording (already 16 kHz mono)."""
    start = int(pick.start * sample_rate)
    end = len(waveform) if pick.end is None else int(pick.end * sample_rate)
    segment = waveform[start:end]
    if pick.kind == "event":
        segment = trim_silence(segment, sample_rate)
        segment = apply_fades(segment, sample_rate, 0.005, max(pick.fade_out, 0.02))
    else:
        # Backgrounds keep their natural level changes; only digital silence at the ends goes.
        segment = trim_silence(segment, sample_rate, relative_db=90.0, floor_db=-80.0)
        segment = apply_fades(segment, sample_rate, 0.05, 0.05)
    return peak_normalise(segment)


# ---------------------------------------------------------------- one recording or two?

MATERIAL_RATE = 8_000  # enough bandwidth to tell recordings apart, and quick to correlate
# Below this the signals are not compared: low-frequency rumble and thuds correlate by chance.
MATERIAL_HIGHPASS_HZ = 1_000
MATERIAL_EXCERPTS = 4
# Excerpts found at one offset (within this many samples) count as one alignment.
MATERIAL_LAG_TOLERANCE = 3


def material_signal(waveform: np.ndarray, rate: int = MATERIAL_RATE) -> np.ndarray:
    """The signal `shared_material` compares: high-passed at `MATERIAL_HIGHPASS_HZ`."""
    from scipy.signal import butter, sosfiltfilt

    sos = butter(4, MATERIAL_HIGHPASS_HZ, "highpass", fs=rate, output="sos")
    return sosfiltfilt(sos, waveform.astype(np.float64))


def shared_material(first: np.ndarray, second: np.ndarray, rate: int = MATERIAL_RATE) -> float:
    """How much audio two `material_signal`s share, 0-1: the mean normalised cross-correlation
    of the shorter signal's excerpts with the longer one, when at least three of its four
    excerpts are found at one and the same offset in the longer signal (else 0).

    Excerpts (a quarter of the shorter signal, at most 2 s) are found wherever they correlate
    best. A copy, a cut or a re-encoded copy puts them all at one offset with correlations near
    1, a filtered copy with lower ones; in a different recording each excerpt's best match lies
    somewhere else, however similar the sounds (two axe chops, two roars of wind).
    """
    from scipy.signal import fftconvolve

    short, long = (first, second) if len(first) <= len(second) else (second, first)
    span = min(len(short) // MATERIAL_EXCERPTS, 2 * rate)
    if span < rate // 20:
        return 0.0
    energy = np.concatenate([[0.0], np.cumsum(long * long)])
    window_energy = np.sqrt(np.maximum(energy[span:] - energy[:-span], 1e-12))
    found = []  # (offset of the excerpt in the longer signal minus its own start, correlation)
    starts = np.linspace(0, len(short) - span, MATERIAL_EXCERPTS).astype(int)
    for start in starts:
        excerpt = short[start : start + span] - short[start : start + span].mean()
        norm = float(np.sqrt(np.sum(excerpt * excerpt)))
        if norm == 0.0:
            continue
        correlation = np.abs(fftconvolve(long, excerpt[::-1], mode="valid")) / (
            norm * window_energy
        )
        lag = int(np.argmax(correlation))
        found.append((lag - int(start), float(correlation[lag])))
    best = 0.0
    for offset, _ in found:
        agreeing = [r for o, r in found if abs(o - offset) <= MATERIAL_LAG_TOLERANCE]
        if len(agreeing) >= MATERIAL_EXCERPTS - 1:
            best = max(best, float(np.mean(agreeing)))
    return min(best, 1.0)


def group_recordings(sources: dict[str, tuple[str, str, np.ndarray]]) -> dict[str, str]:
    """Source id → recording id: source files (`(label, kind, material signal)`) that share
    material are one recording, named by the first of them (in `sources` order).

    Every pair of one kind is compared, across labels too: a recording shared by two labels
    would put one sound in two splits, so it stops the build, naming both files.
    """
    parent = {source: source for source in sources}

    def root(source: str) -> str:
        while parent[source] != source:
            source = parent[source]
        return source

    ids = list(sources)
    conflicts = []
    for i, first in enumerate(ids):
        for second in ids[i + 1 :]:
            (label_a, kind_a, audio_a), (label_b, kind_b, audio_b) = sources[first], sources[second]
            if kind_a != kind_b or root(first) == root(second):
                continue
            score = shared_material(audio_a, audio_b)
            if score < SHARED_MATERIAL_THRESHOLD:
                continue
            if label_a != label_b:
                conflicts.append(f"{first} ({label_a}) = {second} ({label_b}), score {score:.2f}")
                continue
            print(f"same recording ({score:.2f}): {first} = {second}", flush=True)
            parent[root(second)] = root(first)
    if conflicts:
        raise SystemExit(
            "recordings shared by two labels (drop one of each pair from PICKS):\n  "
            + "\n  ".join(conflicts)
        )
    return {source: root(source) for source in ids}


# ---------------------------------------------------------------- deterministic Ogg output


def _ogg_crc_table() -> list[int]:
    table = []
    for byte in range(256):
        value = byte << 24
        for _ in range(8):
            value = ((value << 1) ^ 0x04C11DB7) if value & 0x80000000 else (value << 1)
        table.append(value & 0xFFFFFFFF)
    return table


_OGG_CRC_TABLE = _ogg_crc_table()


def ogg_crc(data: bytes) -> int:
    """The Ogg page checksum (CRC-32, polynomial 0x04C11DB7, no reflection, initial 0)."""
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _OGG_CRC_TABLE[((crc >> 24) ^ byte) & 0xFF]
    return crc


def set_ogg_serial(data: bytes, serial: int) -> bytes:
    """Rewrite the stream serial number of every Ogg page and recompute the page checksums."""
    out = bytearray(data)
    pos = 0
    while pos < len(out):
        if out[pos : pos + 4] != b"OggS":
            raise ValueError(f"not an Ogg page at byte {pos}")
        segments = out[pos + 26]
        body = sum(out[pos + 27 : pos + 27 + segments])
        length = 27 + segments + body
        out[pos + 14 : pos + 18] = struct.pack("<I", serial)
        out[pos + 22 : pos + 26] = b"\0\0\0\0"
        out[pos + 22 : pos + 26] = struct.pack("<I", ogg_crc(bytes(out[pos : pos + length])))
        pos += length
    return bytes(out)


def encode_vorbis(waveform: np.ndarray, sample_rate: int, name: str) -> bytes:
    """Ogg Vorbis bytes of a mono float signal, with a serial number fixed by `name`."""
    buffer = io.BytesIO()
    sf.write(
        buffer,
        waveform,
        sample_rate,
        format="OGG",
        subtype="VORBIS",
        compression_level=VORBIS_COMPRESSION_LEVEL,
    )
    return set_ogg_serial(buffer.getvalue(), zlib.crc32(name.encode()) & 0x7FFFFFFF)


# ---------------------------------------------------------------- packages and provenance

# Credits and licences per package: (licence, attribution) of a file that names none itself.
PACKAGE_RIGHTS = {
    ZERO_AD: (LICENCE, ZERO_AD_ATTRIBUTION),
    MEGAGLEST: (LICENCE, f"MegaGlest data ({GLEST_TEAMS}), CC BY-SA 3.0"),
    REDECLIPSE: (LICENCE, "Red Eclipse data (redeclipse-data)"),
    SUPERTUXKART: (LICENCE, "SuperTuxKart data (supertuxkart-data)"),
    FLARE: (
        LICENCE,
        "Flare (flare-game), Copyright 2012-2021 Clint Bellanger and others; foley by Brandon "
        "Morris, Justin Jacobs, rubberduck (fantasycore credits), CC BY-SA 3.0",
    ),
    LUGARU: (
        LICENCE,
        "Lugaru data, Copyright 2003, 2010 Wolfire Games (http://www.wolfire.com), CC BY-SA 3.0",
    ),
    MINETEST: (LICENCE, "Minetest Game (minetest-data)"),
    SCRATCH: (
        LICENCE,
        "Scratch 1.4 media library, Copyright (c) 2011 Massachusetts Institute of Technology, "
        "CC BY-SA 3.0",
    ),
}
LICENCE_NAMES = {
    "CC-BY-SA-3.0": "CC BY-SA 3.0",
    "CC-BY-3.0": "CC BY 3.0",
    "CC0-1.0": "CC0 1.0",
}


def rights(pick: Pick) -> tuple[str, str]:
    """(licence, attribution) of one source file, from its package's copyright and AUTHORS."""
    licence, base = PACKAGE_RIGHTS[pick.package]
    licence = pick.licence or licence
    if licence not in COMPATIBLE_LICENCES:
        raise SystemExit(f"{pick.package}:{pick.path}: licence {licence} cannot go into the bank")
    if pick.package == MEGAGLEST:
        # The longest matching prefix is the most specific credit.
        specific = max(
            (prefix for prefix in MEGAGLEST_CREDITS if pick.path.startswith(prefix)),
            key=len,
            default=None,
        )
        detail = MEGAGLEST_CREDITS[specific] if specific else ""
        return licence, f"{base}; {detail}" if detail else base
    if pick.package == ZERO_AD:
        return licence, base
    if pick.package in (FLARE, LUGARU, SCRATCH):
        return licence, base
    name = LICENCE_NAMES[licence]
    return (
        licence,
        f"{pick.credit or base}, {name}; via {base}" if pick.credit else f"{base}, {name}",
    )


def fetch_debs(work: Path, debs: Path | None) -> dict[str, Path]:
    """Paths of the .deb files: found in `debs`, or fetched with `apt-get download`."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        if debs is not None:
            matches = sorted(debs.glob(f"{package}_*.deb"))
            if not matches:
                raise SystemExit(f"no {package}_*.deb in {debs}")
            found[package] = matches[-1]
        else:
            subprocess.run(["apt-get", "download", package], cwd=work, check=True)
            found[package] = sorted(work.glob(f"{package}_*.deb"))[-1]
    return found


def deb_version(deb: Path) -> str:
    """The Version field of a .deb."""
    result = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Version"], check=True, capture_output=True, text=True
    )
    return result.stdout.strip()


def source_file(root: Path, pick: Pick, zip_cache: dict[str, zipfile.ZipFile], tmp: Path):
    """A local file holding the source audio of `pick` and its path for the manifest."""
    if pick.package == ZERO_AD:
        archive = zip_cache.setdefault(ZERO_AD, zipfile.ZipFile(root / ZERO_AD / ZERO_AD_ZIP))
        target = tmp / Path(pick.path).name
        target.write_bytes(archive.read(pick.path))
        return target, f"/{ZERO_AD_ZIP}:{pick.path}"
    base = PACKAGE_ROOTS[pick.package]
    path = root / pick.package / base / pick.path
    # Several packages share sounds through symlinks; the real file is what we read.
    return path.resolve(), f"/{base}/{pick.path}"


def attribution_markdown(versions: dict[str, str], rows: list[dict[str, str]]) -> str:
    """Text of ATTRIBUTION.md: packages, copyright holders, licences and the file list."""
    lines = [
        "# ClothoMix sound bank: attribution",
        "",
        "Every recording in this folder was taken from a Debian package and changed as",
        "follows: a time window was cut, leading and trailing silence removed, the sound",
        "down-mixed to mono, resampled to 16 kHz, peak-normalised and encoded as Ogg Vorbis.",
        "Each source file is under CC BY-SA 3.0, CC BY 3.0 or CC0 1.0, as the package's",
        "debian/copyright says for it (the `licence` column of `manifest.csv`); the bank as a",
        f"whole is licensed under CC BY-SA 3.0 ({LICENCE_URL}), whose legal code is in",
        "LICENSE.txt. `manifest.csv` lists the source, licence and credit of every file, the",
        "source recording it was cut from and the one ClothoMix split that recording serves.",
        "",
        "## Packages",
        "",
        f"- **{ZERO_AD} {versions[ZERO_AD]}** (0 A.D.): Copyright (C) 2009 Wildfire Games,",
        "  http://www.wildfiregames.com/; CC BY-SA 3.0 (audio/LICENSE.txt of public.zip; Debian",
        "  copyright: `Files: *`, `License: CC-BY-SA-3.0`). Sound credits of 0 A.D.",
        "  (gui/credits/texts/audio.json): Carsten Rojahn, Mike Stanton, DynamiteSoundBytes",
        "  (Nolan, Tony and Lucas), Evan Bogunia, Kaitlynn Hegarty, LAVS, Marcio Durón, Damian",
        "  Kastbauer (sound manager), Matt Sherman, Pat Mclelland, Shawn Anthony Poxleitner,",
        "  Pureon, Ryan Davies, Sam Assoum, Sam Gossner, Ron Lacy.",
        f"- **{MEGAGLEST} {versions[MEGAGLEST]}** (MegaGlest): Copyright 2001-2008 The Glest",
        "  Team (http://glest.org), 2008-2017 The MegaGlest Team (http://megaglest.org); Indians",
        "  and Persians factions Copyright 2007-2011 Titus Tscharntke and Philipp Tscharntke",
        "  (http://www.titusgames.de); tilesets Autumn, Birch Forest, Desert2, Fernland, Winter",
        "  by Titus Tscharntke (titi), Spring by Philipp Tscharntke, Pine Peat by Trappin",
        "  modified by Titus Tscharntke; autumn day and night sounds by Elimnator",
        '  (http://www.soundbible.com), spring daytime ambience by dobroide. "All files are',
        "  released under the Terms of the Creative Commons Attribution-ShareAlike 3.0 Unported",
        '  license" (docs/AUTHORS.data.txt).',
        f"- **{REDECLIPSE} {versions[REDECLIPSE]}** (Red Eclipse): data/sounds/ambience by",
        "  Quinton Reeves and Alex Anguix, with the Freesound authors named per file below",
        "  (debian/copyright: CC-BY-SA-3.0, forest and cicada sounds CC-BY-3.0).",
        f"- **{SUPERTUXKART} {versions[SUPERTUXKART]}** (SuperTuxKart): the authors named per",
        "  file below, licences as debian/copyright gives them (CC0, CC-BY-3.0, CC-BY-SA-3.0).",
        f"- **{FLARE} {versions[FLARE]}** (Flare): \"All of Flare's art and data files are",
        '  released under CC-BY-SA 3.0. Later versions are permitted." Copyright 2012-2021 Clint',
        "  Bellanger and others; foley artists Brandon Morris, Justin Jacobs, rubberduck.",
        f"- **{LUGARU} {versions[LUGARU]}** (Lugaru): `Files: Data/*`, Copyright 2003, 2010",
        "  Wolfire Games, CC-BY-SA-3.0.",
        f"- **{MINETEST} {versions[MINETEST]}** (Minetest Game): the Freesound authors named per",
        "  file below (mods' README.txt files: CC0 1.0 and CC BY 3.0).",
        "",
        "## Files",
        "",
        "| file | label | split | source | licence | attribution |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        source = f"{row['source_package']}: `{row['source_path']}`"
        lines.append(
            f"| {row['file']} | {row['label']} | {row['split']} | {source} | {row['licence']} "
            f"| {row['attribution']} |"
        )
    return "\n".join(lines) + "\n"


def unseen_markdown(versions: dict[str, str], rows: list[dict[str, str]]) -> str:
    """Text of the unseen recordings' ATTRIBUTION.md."""
    lines = [
        "# Unseen recordings: attribution",
        "",
        "Real recordings from a Debian package the ClothoMix bank does not use, for the book's",
        "look at sounds the demo models never heard: trimmed, down-mixed to mono, resampled to",
        "16 kHz, peak-normalised and encoded as Ogg Vorbis.",
        "",
        f"- **{SCRATCH} {versions[SCRATCH]}** (Scratch 1.4): `Files: Help/* Media/* Projects`,",
        "  Copyright (c) 2011 Massachusetts Institute of Technology, License: CC-BY-SA-3.0",
        f"  ({LICENCE_URL}; legal code in ../soundbank/LICENSE.txt).",
        "",
        "| file | what it is | source |",
        "|---|---|---|",
    ]
    for row in rows:
        lines.append(f"| {row['file']} | {row['description']} | `{row['source_path']}` |")
    return "\n".join(lines) + "\n"


def _convert(pick: Pick, work: Path, zip_cache, name: str):
    """(prepared 16 kHz audio, Ogg bytes, manifest path of the source) of one pick."""
    local, source_path = source_file(work, pick, zip_cache, work)
    waveform, sr = load_audio(local, sample_rate=SAMPLE_RATE)
    audio = prepare(pick, waveform, sr)
    data = encode_vorbis(audio, sr, name)
    # The mixer plans in samples from the manifest; the decoded length must match.
    if sf.info(io.BytesIO(data)).frames != len(audio):
        raise SystemExit(f"{name}: Ogg frame count differs from the signal length")
    return audio, data, source_path, local


def provenance(
    pick: Pick, name: str, audio: np.ndarray, data: bytes, versions: dict[str, str], source: str
) -> dict[str, str]:
    """The manifest fields every file has: what it is, its signal, where it came from, its rights."""
    licence, credit = rights(pick)
    return {
        "file": name,
        "label": pick.label,
        "description": pick.description,
        "duration": f"{len(audio) / SAMPLE_RATE:.3f}",
        "frames": str(len(audio)),
        "sample_rate": str(SAMPLE_RATE),
        "bytes": str(len(data)),
        "sha256": hashlib.sha256(data).hexdigest(),
        "source_package": pick.package,
        "source_version": versions[pick.package],
        "source_path": source,
        "licence": licence,
        "attribution": credit,
    }


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def build(out: Path, debs: Path | None, unseen_out: Path = UNSEEN_DIR) -> None:
    """Download, unpack, convert and write the bank into `out` (replacing its audio files),
    and the unseen recordings into `unseen_out`."""
    with tempfile.TemporaryDirectory(prefix="soundbank-") as tmp_name:
        work = Path(tmp_name)
        deb_paths = fetch_debs(work, debs)
        versions = {package: deb_version(deb) for package, deb in deb_paths.items()}
        for package, deb in deb_paths.items():
            print(f"unpacking {deb.name}", flush=True)
            subprocess.run(["dpkg", "-x", str(deb), str(work / package)], check=True)

        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("*.ogg"):
            old.unlink()
        zip_cache: dict[str, zipfile.ZipFile] = {}
        counters: dict[str, int] = {}
        rows: list[dict[str, str]] = []
        sources: dict[str, tuple[str, str, np.ndarray]] = {}
        for pick in PICKS:
            counters[pick.label] = counters.get(pick.label, 0) + 1
            name = f"{pick.label}_{counters[pick.label]:02d}.ogg"
            audio, data, source_path, local = _convert(pick, work, zip_cache, name)
            source_id = f"{pick.package}:{source_path}"
            if source_id not in sources:
                # The whole source file (not the window): windows of one file are one recording.
                whole, _ = load_audio(local, sample_rate=MATERIAL_RATE)
                sources[source_id] = (pick.label, pick.kind, material_signal(whole))
            (out / name).write_bytes(data)
            window = f"{pick.start:g}-{pick.end:g}" if pick.end is not None else ""
            rows.append(
                {
                    **provenance(pick, name, audio, data, versions, source_path),
                    "kind": pick.kind,
                    "source_window": window,
                    "recording": source_id,
                    "split": "",
                }
            )
            print(f"{name:24s} {len(audio) / SAMPLE_RATE:6.2f} s {len(data) / 1024:7.1f} KiB")

        recording_of = group_recordings(sources)
        for row in rows:
            row["recording"] = recording_of[row["recording"]]
        split_of = assign_splits((row["label"], row["recording"]) for row in rows)
        for row in rows:
            row["split"] = split_of[row["recording"]]

        _write_csv(out / "manifest.csv", MANIFEST_COLUMNS, rows)
        (out / "ATTRIBUTION.md").write_text(attribution_markdown(versions, rows), encoding="utf-8")
        shutil.copyfile(work / MEGAGLEST / MG_LICENSE_TEXT, out / "LICENSE.txt")

        unseen_out.mkdir(parents=True, exist_ok=True)
        for old in unseen_out.glob("*.ogg"):
            old.unlink()
        unseen_rows = []
        for pick in UNSEEN_PICKS:
            name = f"{Path(pick.path).stem.lower()}.ogg"
            audio, data, source_path, _ = _convert(pick, work, zip_cache, name)
            (unseen_out / name).write_bytes(data)
            unseen_rows.append(provenance(pick, name, audio, data, versions, source_path))
        _write_csv(unseen_out / "manifest.csv", UNSEEN_COLUMNS, unseen_rows)
        (unseen_out / "ATTRIBUTION.md").write_text(
            unseen_markdown(versions, unseen_rows), encoding="utf-8"
        )
        for archive in zip_cache.values():
            archive.close()

    total = sum(int(row["bytes"]) for row in rows)
    recordings = len({row["recording"] for row in rows})
    print(
        f"{len(rows)} files, {recordings} recordings, {len({r['label'] for r in rows})} labels, "
        f"{total / 2**20:.2f} MiB; {len(unseen_rows)} unseen recordings"
    )
    if total > MAX_BANK_BYTES:
        raise SystemExit(f"bank is {total} bytes, more than the {MAX_BANK_BYTES} allowed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--debs",
        type=Path,
        default=None,
        help="folder with the packages' .deb files (0ad-data_*.deb, megaglest-data_*.deb, …)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "aacr_lib" / "data" / "soundbank",
        help="bank folder (default: aacr_lib/data/soundbank)",
    )
    args = parser.parse_args(argv)
    build(args.out, args.debs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

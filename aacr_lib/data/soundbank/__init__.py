"""The ClothoMix sound bank: real recordings from seven Debian game-data packages.

Data only: `manifest.csv` lists every Ogg Vorbis file (16 kHz mono) with its label, kind
(background or event), source package and path, the source recording it was cut from, the one
ClothoMix split that recording serves, licence and attribution; `ATTRIBUTION.md` and
`LICENSE.txt` carry the credits and the licence text (CC BY-SA 3.0 for the bank as a whole).
`scripts/build_soundbank.py` made it; `aacr_lib.data.clothomix.bank` reads it.
"""

"""The ClothoMix sound bank: real recordings from 0 A.D. and MegaGlest (CC BY-SA 3.0).

Data only: `manifest.csv` lists every Ogg Vorbis file (16 kHz mono) with its label, kind
(background or event), source package and path, licence and attribution; `ATTRIBUTION.md` and
`LICENSE.txt` carry the credits and the licence text. `scripts/build_soundbank.py` made it;
`aacr_lib.data.clothomix.bank` reads it.
"""

"""aacr_lib: automated audio captioning and language-based audio retrieval on Clotho.

The library is the single source of truth of the aacr book: notebooks configure, call and
display; every computation lives here.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

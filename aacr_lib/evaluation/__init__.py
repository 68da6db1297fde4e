"""Evaluation that matches the official DCASE tools: captioning and retrieval metrics.

Captioning (`captioning`): BLEU-1..4, METEOR, ROUGE-L, CIDEr-D, SPICE, SPIDEr exactly as
caption-evaluation-tools, per clip and for the corpus, vocabulary size, bootstrap intervals and a
paired bootstrap test. Retrieval (`retrieval`): R@1/5/10 and mAP@10 as DCASE 2022 with jackknife
intervals, audio-to-text, mAP@k with several relevant clips (DCASE 2025), submission files.

The names below are imported lazily, so `import aacr_lib.evaluation` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CAPTION_METRICS": "captioning",
    "CaptioningResult": "captioning",
    "CaptioningComparison": "captioning",
    "evaluate_captions": "captioning",
    "compare_captions": "captioning",
    "resolve_metrics": "captioning",
    "RetrievalResult": "retrieval",
    "evaluate_ranking": "retrieval",
    "text_to_audio_metrics": "retrieval",
    "audio_to_text_metrics": "retrieval",
    "metrics_from_ranks": "retrieval",
    "map_at_k": "retrieval",
    "top_k": "retrieval",
    "write_submission": "retrieval",
    "read_predictions": "io",
    "read_references": "io",
    "read_ranking": "io",
    "match_predictions": "io",
    "jackknife_mean": "bootstrap",
    "bootstrap_intervals": "bootstrap",
    "paired_bootstrap": "bootstrap",
    "corenlp_status": "corenlp",
    "install_corenlp": "corenlp",
    "find_java": "java",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f"aacr_lib.evaluation.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'aacr_lib.evaluation' has no attribute {name!r}")

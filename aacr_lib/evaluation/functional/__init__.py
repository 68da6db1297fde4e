"""Functional core of the metrics: plain functions over aligned lists of captions.

Every captioning metric takes PTB-tokenized candidates (`list[str]`) and references
(`list[list[str]]`, any number >= 1 per clip) in the same order, and returns the corpus score and
the per-clip scores. The engines are the official ones, shipped by `pycocoevalcap`.
"""

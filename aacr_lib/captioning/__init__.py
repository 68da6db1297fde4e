"""Captioning task: configs, experiments, tokenizer, decoding, training glue, report data."""

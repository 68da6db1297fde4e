"""Evaluation that matches the official DCASE tools: captioning and retrieval metrics."""

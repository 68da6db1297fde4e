"""Data-parallel helpers: how examples are split between processes and results put back together.

Training shards are padded (by repeating the first examples of the epoch's order) so every
process runs the same number of steps, as DDP requires. Evaluation shards are never padded:
each example goes to exactly one process, and `gather_lists` returns every process's results in
one list, so a metric computed from it sees each clip once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


def epoch_order(num_examples: int, seed: int, epoch: int, shuffle: bool = True) -> list[int]:
    """The example order of one epoch: a permutation that depends only on (seed, epoch).

    Because it is recomputed from scratch, a resumed run sees exactly the order the
    interrupted run would have seen.
    """
    if not shuffle:
        return list(range(num_examples))
    return np.random.default_rng([seed, epoch]).permutation(num_examples).tolist()


def training_shard(order: Sequence[int], rank: int, world_size: int) -> list[int]:
    """This process's part of an epoch order, padded so that all parts have the same length."""
    if world_size == 1:
        return list(order)
    total = -(-len(order) // world_size) * world_size
    padded = list(order) + list(order[: total - len(order)])
    return padded[rank::world_size]


def evaluation_shard(num_examples: int, rank: int, world_size: int) -> list[int]:
    """Indices this process evaluates: a strided split, every index in exactly one shard."""
    return list(range(rank, num_examples, world_size))


def batches(indices: Sequence[int], batch_size: int) -> list[list[int]]:
    """Consecutive batches of `indices` (the last one may be shorter)."""
    return [list(indices[i : i + batch_size]) for i in range(0, len(indices), batch_size)]


def gather_lists(items: list[T], accelerator: Any | None = None) -> list[T]:
    """Concatenate per-process lists (process 0's first); the list itself on one process."""
    if accelerator is None or accelerator.num_processes == 1:
        return list(items)
    from accelerate.utils import gather_object

    # gather_object flattens a list of per-process lists into one list.
    return list(gather_object(list(items)))

"""Exact k-nearest-neighbour search over stored embedding rows, and the choice of index type.

`exact_search(vectors, queries, k, metric)` is the exact search of `aacr_lib.retrieval.index`
(the `flat` kind). It scans the collection in blocks of rows: one call of NumPy's BLAS scores a
block against all queries (for one query, a matrix-vector product over the whole collection;
for a batch, matrix products into a reused buffer of `SCORE_BLOCK_BYTES`), and a running top k
per query is kept with a threshold: a slice of scores is looked at further only for the
queries whose best score there beats their current k-th best, so that after the first rows
almost every score is read once (a column maximum) and never sorted. The rows may be a
memory map. The path depends on the batch and the threads:

- one query, or fewer than LANE_MIN_QUERIES: one scan, BLAS with all its threads (the
  matrix-vector product is bound by memory bandwidth, which the threads share);
- a batch against more than FAISS_MAX_ROWS rows: one scan per core ("lanes", each over its
  share of the rows with single-threaded BLAS, merged at the end), so that no core waits
  while another filters (needs threadpoolctl, installed with scikit-learn; without it, one
  scan);
- a batch against at most FAISS_MAX_ROWS rows: FAISS's brute-force k-NN (`faiss.knn`), which
  is faster there.

Measured on the 2-core development machine, 1M x 300 (`benchmarks/bench_search.py`): one
query faster than NumPy's product and partial sort and than FAISS's flat index (which scans
on one thread), a batch of 1,000 at about 90 % of the bare matrix product's rate.

- `ip` (inner product): the largest `q . x`; values returned are the inner products.
- `l2`: the smallest `|q - x|^2`, searched as the largest `q . x - |x|^2 / 2` (pass the
  halved squared norms from `half_squared_norms` to reuse them); values returned are squared
  distances, as FAISS returns them.

Results are FAISS's layout: `(values, ids)`, each `[n_queries, min(k, N)]`, best first; equal
scores are ordered by row (the lower row first), as a stable sort of all scores would order
them (on the FAISS path: among the k returned; which of several rows tied at the k-th place
are returned is then FAISS's choice).

`auto_index_kind(n)` is the rule `aacr index build` applies to a collection of `n` vectors
when no index type is given: exact search up to `AUTO_EXACT_MAX` vectors, an IVF index above
(see its docstring for the settings and the benchmark that justifies them).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

try:  # installed with scikit-learn (sentence-transformers needs it); optional here
    from threadpoolctl import threadpool_limits as _threadpool_limits
except ImportError:  # pragma: no cover - then batches take one scan
    _threadpool_limits = None

METRICS = ("ip", "l2")

# One BLAS call scores [rows, queries] into a float32 buffer of about this many bytes (each
# call waits for its slowest thread, so not too many; the buffer stays in the L2/L3 cache while
# it is filtered). The first DENSE_ROWS rows are ranked whole; then the scores are filtered
# in slices of `slice_rows` rows.
SCORE_BLOCK_BYTES = 16 << 20
MIN_BLOCK_ROWS = 1024
DENSE_ROWS = 1024
DENSE_SCORES = 65536  # ... or as many rows as make this many scores (a small collection: all)
SLICE_SCORES = 8192
MIN_SLICE_ROWS = 32
MAX_SLICE_ROWS = 4096
# Batches of at least this many queries are scanned in lanes (`_search_group`); against at
# most FAISS_MAX_ROWS rows they go to FAISS's brute-force k-NN instead (`_faiss_knn`).
LANE_MIN_QUERIES = 16
FAISS_MAX_ROWS = 16384
# Queries are answered in groups of at most this many (the collection is read once per group).
QUERY_GROUP = 2048


def half_squared_norms(vectors: np.ndarray, rows: int = 65536) -> np.ndarray:
    """`|x|^2 / 2` of every row (float32), computed a block at a time."""
    out = np.empty(len(vectors), dtype=np.float32)
    for start in range(0, len(vectors), rows):
        block = np.asarray(vectors[start : start + rows], dtype=np.float32)
        np.einsum("ij,ij->i", block, block, out=out[start : start + len(block)])
    out *= 0.5
    return out


def block_rows(n_queries: int, n: int, block_bytes: int = SCORE_BLOCK_BYTES) -> int:
    """Rows scored per BLAS call for `n_queries` queries: a score block of about
    `block_bytes`, at least MIN_BLOCK_ROWS and at most `n`."""
    rows = block_bytes // (4 * max(1, n_queries))
    return int(max(1, min(n, max(MIN_BLOCK_ROWS, rows))))


def slice_rows(n_queries: int) -> int:
    """Rows per filtering slice for `n_queries` queries: about SLICE_SCORES scores, within
    [MIN_SLICE_ROWS, MAX_SLICE_ROWS]. A query looks at a slice further only when its best
    score there beats its k-th best so far (a chance of about k * rows / rows seen), so
    narrow slices mean less to look at, and more maxima to compare."""
    rows = SLICE_SCORES // max(1, n_queries)
    return int(min(MAX_SLICE_ROWS, max(MIN_SLICE_ROWS, rows)))


class _TopK:
    """The running top k (largest values) of each of `nq` queries, rows as ids.

    `values`/`ids` hold each query's current k best (unordered between merges); `threshold`
    its k-th best value (-inf until k were seen). Candidates that beat the threshold are
    collected and merged in batches (`flush`); ties are broken by the lower row.
    """

    def __init__(self, nq: int, k: int) -> None:
        self.nq, self.k = nq, k
        self.values = np.full((nq, k), -np.inf, dtype=np.float32)
        self.ids = np.full((nq, k), -1, dtype=np.int64)
        self.threshold = np.full(nq, -np.inf, dtype=np.float32)
        self.seen = 0
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._pending_count = 0
        self.budget = max(4096, 2 * nq * k)

    def add_dense(self, scores: np.ndarray, start: int) -> None:
        """Merge a whole block of scores `[nq, width]` for rows `start …` (used until each
        query has k values: the first block, or more when k is larger than a block)."""
        self.flush()
        nq, width = scores.shape
        values = np.concatenate([self.values, scores], axis=1)
        ids = np.concatenate(
            [self.ids, np.broadcast_to(np.arange(start, start + width), (nq, width))], axis=1
        )
        k = self.k
        if values.shape[1] > k:
            part = np.argpartition(values, values.shape[1] - k, axis=1)[:, -k:]
            kth = np.take_along_axis(values, part, axis=1).min(axis=1)
            # Equal values across the cut: argpartition takes any of them; take the lower rows.
            tied = np.flatnonzero(np.isfinite(kth) & ((values >= kth[:, None]).sum(axis=1) > k))
            for row in tied:
                order = np.lexsort((ids[row], -values[row]))[:k]
                part[row] = order
            values = np.take_along_axis(values, part, axis=1)
            ids = np.take_along_axis(ids, part, axis=1)
        self.values = np.ascontiguousarray(values, dtype=np.float32)
        self.ids = np.ascontiguousarray(ids)
        self.seen += width
        self.threshold = self.values.min(axis=1) if self.seen >= k else self.threshold

    def add_candidates(self, rows: np.ndarray, values: np.ndarray, ids: np.ndarray) -> None:
        if len(rows):
            self._pending.append((rows, values, ids))
            self._pending_count += len(rows)
            if self._pending_count >= self.budget:
                self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        k, nq = self.k, self.nq
        rows = np.concatenate([np.repeat(np.arange(nq), k)] + [p[0] for p in self._pending])
        values = np.concatenate([self.values.ravel()] + [p[1] for p in self._pending])
        ids = np.concatenate([self.ids.ravel()] + [p[2] for p in self._pending])
        self._pending, self._pending_count = [], 0
        order = np.lexsort((ids, -values, rows))
        counts = np.bincount(rows, minlength=nq)
        take = order[(np.cumsum(counts) - counts)[:, None] + np.arange(k)]
        self.values, self.ids = values[take], ids[take]
        self.threshold = self.values[:, -1].copy()

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """(values, ids) best first, ties by the lower row."""
        self.flush()
        order = np.lexsort((self.ids, -self.values), axis=-1)
        return (
            np.take_along_axis(self.values, order, axis=1),
            np.take_along_axis(self.ids, order, axis=1),
        )


def _scan(
    vectors: np.ndarray,
    queries: np.ndarray,
    k: int,
    half_norms: np.ndarray | None,
    block_bytes: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The top k of `q . x` (ip) or `q . x - |x|^2/2` (l2, `half_norms` given) per query, the
    rows scanned in order by the calling thread (BLAS with its own threads)."""
    n = len(vectors)
    nq = len(queries)
    rows = block_rows(nq, n, block_bytes)
    width = slice_rows(nq)
    top = _TopK(nq, k)
    buffer = np.empty((rows, nq), dtype=np.float32)
    for start in range(0, n, rows):
        block = vectors[start : start + rows]
        count = len(block)
        scores = buffer if count == rows else np.empty((count, nq), dtype=np.float32)
        np.matmul(block, queries.T, out=scores)  # [rows, queries]
        norms = None if half_norms is None else half_norms[start : start + count]
        done = 0
        if top.seen < k:  # the first rows: every score, until each query has k
            done = min(count, max(k - top.seen, DENSE_ROWS, DENSE_SCORES // nq))
            dense = scores[:done] if norms is None else scores[:done] - norms[:done, None]
            top.add_dense(dense.T, start)
        while done < count:  # whole slices, then the rest as one shorter slice
            whole = (count - done) // width * width
            end = done + whole if whole else count
            _filter(
                top,
                scores[done:end],
                None if norms is None else norms[done:end],
                start + done,
                width,
            )
            done = end
    return top.result()


def _search_group(
    vectors: np.ndarray,
    queries: np.ndarray,
    k: int,
    half_norms: np.ndarray | None,
    block_bytes: int,
    lanes: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """`_scan`, or for a batch on several cores, `lanes` scans of consecutive row ranges run
    side by side, each in its own thread with single-threaded BLAS, merged at the end.

    One scan with multi-threaded BLAS leaves all but one core idle while it filters (about a
    sixth of its time at 1M rows x 1,000 queries); lanes keep every core on its own matrix
    products and filtering. One query stays one scan: its matrix-vector product is bound by
    memory bandwidth, which BLAS's threads share well. `lanes`: None = the BLAS thread count
    (threadpoolctl, a dependency of scikit-learn, tells and sets it; without it, one scan).
    """
    n, nq = len(vectors), len(queries)
    if lanes is None:
        lanes = _blas_threads() if nq >= LANE_MIN_QUERIES else 1
    lanes = max(1, min(lanes, n // max(MIN_BLOCK_ROWS, k)))
    if lanes == 1 or _threadpool_limits is None:
        return _scan(vectors, queries, k, half_norms, block_bytes)
    bounds = np.linspace(0, n, lanes + 1).astype(int)

    def lane(i: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = bounds[i], bounds[i + 1]
        norms = None if half_norms is None else half_norms[lo:hi]
        values, ids = _scan(vectors[lo:hi], queries, k, norms, block_bytes // lanes)
        return values, ids + lo

    with _threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(lanes) as pool:
        parts = list(pool.map(lane, range(lanes)))
    values = np.concatenate([v for v, _ in parts], axis=1)
    ids = np.concatenate([i for _, i in parts], axis=1)
    order = np.lexsort((ids, -values), axis=-1)[:, :k]
    return np.take_along_axis(values, order, axis=1), np.take_along_axis(ids, order, axis=1)


def _blas_threads() -> int:
    """The thread count of NumPy's BLAS (1 when threadpoolctl is missing)."""
    if _threadpool_limits is None:
        return 1
    from threadpoolctl import threadpool_info

    counts = [
        info.get("num_threads", 1)
        for info in threadpool_info()
        if info.get("user_api") == "blas" and "numpy" in str(info.get("filepath", ""))
    ]
    return max(counts or [1])


def _filter(
    top: _TopK, scores: np.ndarray, norms: np.ndarray | None, first: int, width: int
) -> None:
    """Offer scores `[rows, queries]` (rows `first …`) to the running top k, in slices of
    `width` rows (`rows` a multiple of it, or fewer than it): one column maximum per slice
    and query, and only the (slice, query) pairs whose maximum beats the query's k-th best so
    far are looked at further."""
    count, nq = scores.shape
    width = min(width, count)
    slices = scores.reshape(count // width, width, nq)
    best = slices.max(axis=1)  # [slices, queries]
    if norms is not None:
        norms = norms.reshape(count // width, width)
        best -= norms.min(axis=1)[:, None]  # an upper bound of max(q . x - |x|^2/2)
    pair_slice, pair_query = np.nonzero(best > top.threshold)
    if not len(pair_slice):
        return
    sub = slices[pair_slice, :, pair_query]  # [pairs, width]
    if norms is not None:
        sub -= norms[pair_slice]
    hit_pair, hit_row = np.nonzero(sub > top.threshold[pair_query][:, None])
    top.add_candidates(
        pair_query[hit_pair],
        sub[hit_pair, hit_row],
        first + pair_slice[hit_pair] * width + hit_row,
    )


def exact_search(
    vectors: np.ndarray,
    queries: np.ndarray,
    k: int,
    metric: str = "ip",
    half_norms: np.ndarray | None = None,
    block_bytes: int = SCORE_BLOCK_BYTES,
) -> tuple[np.ndarray, np.ndarray]:
    """The exact `k` nearest rows of `vectors` `[N, d]` to each of `queries` `[nq, d]`.

    Returns `(values, ids)`, each `[nq, min(k, N)]`, best first: inner products for `ip`
    (largest first), squared Euclidean distances for `l2` (smallest first; `half_norms`:
    `half_squared_norms(vectors)`, computed here when not given).
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, not {metric!r}")
    queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
    if vectors.ndim != 2 or queries.shape[1] != vectors.shape[1]:
        raise ValueError(
            f"queries of dimension {queries.shape[1]} against vectors of shape {vectors.shape}"
        )
    if vectors.dtype != np.float32:
        vectors = vectors.astype(np.float32)
    n, nq = len(vectors), len(queries)
    k = min(int(k), n)
    values = np.empty((nq, max(k, 0)), dtype=np.float32)
    ids = np.empty((nq, max(k, 0)), dtype=np.int64)
    if k <= 0 or nq == 0:
        return values, ids
    if nq >= LANE_MIN_QUERIES and n <= FAISS_MAX_ROWS:
        return _faiss_knn(vectors, queries, k, metric)
    if metric == "l2" and half_norms is None:
        half_norms = half_squared_norms(vectors)
    for start in range(0, nq, QUERY_GROUP):
        group = queries[start : start + QUERY_GROUP]
        group_values, group_ids = _search_group(
            vectors, group, k, half_norms if metric == "l2" else None, block_bytes
        )
        if metric == "l2":
            # |q - x|^2 = |q|^2 - 2 (q . x - |x|^2 / 2), clipped at 0 against rounding
            squared = np.einsum("ij,ij->i", group, group)[:, None]
            group_values = np.maximum(squared - 2 * group_values, 0)
        values[start : start + len(group)] = group_values
        ids[start : start + len(group)] = group_ids
    return values, ids


def _faiss_knn(
    vectors: np.ndarray, queries: np.ndarray, k: int, metric: str
) -> tuple[np.ndarray, np.ndarray]:
    """FAISS's brute-force k-NN (`faiss.knn`, no index, no copy of the rows): faster than the
    scan for a batch against a small collection, where the scan's first rows (every score
    ranked) are most of the work. Equal scores are put in row order among the k returned."""
    import faiss

    kind = faiss.METRIC_INNER_PRODUCT if metric == "ip" else faiss.METRIC_L2
    values, ids = faiss.knn(queries, np.ascontiguousarray(vectors), k, metric=kind)
    order = np.lexsort((ids, -values if metric == "ip" else values), axis=-1)
    return np.take_along_axis(values, order, axis=1), np.take_along_axis(ids, order, axis=1)


# --- which index for a collection ----------------------------------------------------------


def ivf_cells(n: int, nlist: int = 0) -> int:
    """IVF cells for `n` vectors: `nlist`, or 4 * sqrt(N) when 0, at most N / 39 (k-means
    needs some points per cell: a tiny collection gets few cells)."""
    nlist = nlist or int(4 * math.sqrt(max(n, 1)))
    return max(1, min(nlist, n // 39 if n >= 39 else 1))


AUTO_EXACT_MAX = 100_000
AUTO_IVF_CELLS_PER_SQRT = 4
AUTO_IVF_NPROBE = 16


def auto_index_kind(n: int) -> dict[str, object]:
    """The index `aacr index build` makes for `n` vectors when no type is given: the kind, its
    parameters (IndexSettings' fields) and the reason, in words.

    - up to AUTO_EXACT_MAX (100,000) vectors: `flat`, exact search. One query costs about
      8-11 ms there with `exact_search` (fast enough to answer interactively), the results
      are exact, and the build trains nothing. Approximate indexes are faster there too, but
      not exact: at 100,000 clustered vectors IVF (1,264 cells) found recall@10 0.966 with
      nprobe 4 (19x the exact batch QPS) and 0.986 with nprobe 16 (6x), HNSW (M 32) 0.988
      with efSearch 16 (13x); on real data the recall may be lower;
    - above: `ivf` with 4 sqrt(N) cells (4,000 at 1M) and AUTO_IVF_NPROBE = 16 searched, as
      exact search grows with N (about 78 ms per query at 1M). At 1M clustered vectors of
      the intrinsic dimension of real sentence embeddings it found recall@10 1.000 at 20x the
      exact batch QPS, one query in 0.5 ms (nprobe 8: 0.999 at 32x; nprobe 4: 0.997 at 53x);
      16 rather than 4 or 8 is a margin for real collections, which may be harder than the
      synthetic one. It took 72 s to build at 1M (k-means on 256,000 vectors). HNSW (M 32)
      took 112 s and reached only recall 0.85-0.93 at 1M on the same data (efSearch 16-128).

    Measured with `benchmarks/bench_search.py --million` on the 2-core development machine
    (2026-12-02); the rule's numbers are in its output.
    """
    if n <= AUTO_EXACT_MAX:
        return {
            "kind": "flat",
            "reason": f"{n:,} vectors <= {AUTO_EXACT_MAX:,}: exact search",
        }
    nlist = ivf_cells(n, int(AUTO_IVF_CELLS_PER_SQRT * math.sqrt(n)))
    return {
        "kind": "ivf",
        "nlist": nlist,
        "nprobe": min(AUTO_IVF_NPROBE, nlist),
        "reason": (
            f"{n:,} vectors > {AUTO_EXACT_MAX:,}: IVF, {nlist:,} cells (4 sqrt(N)), "
            f"{min(AUTO_IVF_NPROBE, nlist)} searched per query"
        ),
    }

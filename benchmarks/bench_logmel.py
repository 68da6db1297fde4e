"""Log-mel throughput on one CPU core: ours (torch) against librosa, and against the target.

Throughput is seconds of audio per CPU second (`time.process_time`, all threads counted), on
synthesised 44.1 kHz audio cut into clips and computed in batches, with the retrieval-baseline
settings. The baseline in the same process is `librosa.feature.melspectrogram` + log with the
same settings, clip by clip (how the DCASE baseline calls it). Not a test: run it by hand,

    .venv/bin/python benchmarks/bench_logmel.py [--seconds 60] [--clip 15] [--batch 4]
"""

from __future__ import annotations

import os

# One core for everybody: BLAS/OpenMP pools must be sized before numpy and torch load.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from aacr_lib.features.logmel import LogMelConfig, log_mel  # noqa: E402

TARGET = 200.0  # × real time


def synthesise(seconds: float, sample_rate: int, seed: int = 0) -> np.ndarray:
    """Tones, a chirp and noise: float32 mono."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    y = 0.3 * np.sin(2 * np.pi * 440.0 * t) + 0.1 * np.sin(2 * np.pi * (100 + 50 * t) * t)
    return (y + 0.05 * rng.standard_normal(t.size)).astype(np.float32)


def best_cpu_time(fn, repeats: int) -> float:
    """Smallest CPU time of `repeats` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="audio in total")
    parser.add_argument("--clip", type=float, default=15.0, help="seconds per clip")
    parser.add_argument("--batch", type=int, default=4, help="clips per batch")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    torch.set_num_threads(1)
    config = LogMelConfig()
    n_clips = max(1, int(round(args.seconds / args.clip)))
    clips = np.stack([synthesise(args.clip, config.sample_rate, seed=i) for i in range(n_clips)])
    audio_seconds = clips.size / config.sample_rate

    def ours() -> None:
        for start in range(0, n_clips, args.batch):
            log_mel(clips[start : start + args.batch], config)

    import librosa

    def baseline() -> None:
        for clip in clips:
            mel = librosa.feature.melspectrogram(
                y=clip,
                sr=config.sample_rate,
                n_fft=config.n_fft,
                hop_length=config.hop_length,
                win_length=config.win_length,
                n_mels=config.n_mels,
                fmin=config.f_min,
                fmax=config.f_max,
            )
            np.log(mel + np.spacing(1))

    t_ours = best_cpu_time(ours, args.repeats)
    t_base = best_cpu_time(baseline, args.repeats)
    x_ours, x_base = audio_seconds / t_ours, audio_seconds / t_base
    print(
        f"audio: {audio_seconds:.0f} s at {config.sample_rate} Hz, {n_clips} clips of "
        f"{args.clip:g} s, batches of {args.batch}; torch threads {torch.get_num_threads()}"
    )
    print(f"ours (torch):      {t_ours * 1000:8.1f} ms CPU  = {x_ours:7.0f}x real time")
    print(f"librosa baseline:  {t_base * 1000:8.1f} ms CPU  = {x_base:7.0f}x real time")
    print(f"ours / librosa:    {x_ours / x_base:8.2f}x")
    verdict = "meets" if x_ours >= TARGET else "MISSES"
    print(f"target {TARGET:.0f}x real time: {verdict} ({x_ours / TARGET:.2f}x the target)")


if __name__ == "__main__":
    main()

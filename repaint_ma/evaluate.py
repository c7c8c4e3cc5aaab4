"""Fixed-seed evaluation episodes and iterations-to-target K."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from repaint_ma.networks import ActorCritic
from repaint_ma.rollout import VecParallelEnv
from repaint_ma.teacher import Teacher
from repaint_ma.workers import ShardedVecParallelEnv

EVAL_SEED_OFFSET = 1_000_000  # evaluation episodes never share seeds with training episodes


@torch.no_grad()
def evaluate(
    policy: ActorCritic | Teacher,
    vec: VecParallelEnv | ShardedVecParallelEnv,
    seed: int,
    deterministic: bool = True,
) -> list[float]:
    """Run one episode in each env of ``vec`` (built with ``autoreset=False``); return the scores.

    Env ``e`` is reset with seed ``EVAL_SEED_OFFSET + seed + e``, so repeated evaluations
    see the same episodes. An episode's score is the sum over steps of the mean reward of
    the agents alive at that step (the team score for a shared reward, the return for one agent).
    A ``Teacher`` plays through its adapter, on its own normalisation statistics.
    """
    if getattr(vec, "sample_in_workers", False):  # the workers play their envs' episodes themselves
        return vec.evaluate(policy, seed, deterministic)
    vec.finished_scores.clear()
    vec.reset(EVAL_SEED_OFFSET + seed)
    while vec.running:
        mask = torch.from_numpy(vec.masks) if vec.has_mask else None
        action, _ = policy.act_raw(torch.from_numpy(vec.obs), mask, deterministic)
        vec.step(action.numpy())
    return list(vec.finished_scores)


def smooth(scores: Sequence[float], window: int) -> np.ndarray:
    """Trailing moving average: entry i is the mean of scores[max(0, i - window + 1) : i + 1]."""
    x = np.asarray(scores, dtype=float)
    c = np.concatenate([[0.0], np.cumsum(x)])
    i = np.arange(1, len(x) + 1)
    lo = np.maximum(0, i - window)
    return (c[i] - c[lo]) / (i - lo)


def iterations_to_target(iterations: Sequence[int], scores: Sequence[float], target: float, window: int) -> int | None:
    """K: the first iteration whose smoothed evaluation score reaches ``target``; None if never."""
    if not len(scores):
        return None
    hits = np.nonzero(smooth(scores, window) >= target)[0]
    return int(iterations[hits[0]]) if len(hits) else None

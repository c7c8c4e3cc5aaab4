"""Observation adapters: how a teacher trained on one env sees the student's observations.

An adapter maps a batch of the student's raw observations ``(B, obs_dim)`` and action masks
``(B, n)`` (or ``None``) to what the teacher was trained on. Scenarios name one in
``teacher.adapter``; ``ADAPTERS[name](teacher_obs_dim, env_kwargs)`` builds it for a given teacher
and the student's env (``env_kwargs``: the scenario's ``env.kwargs``).

- ``identity``: the teacher sees exactly what the student sees.
- ``first_features``: the teacher sees the first ``teacher_obs_dim`` features (a student whose
  observation appends something the teacher never had: an agent indicator, a camera image).
- ``nearest_target_as_beacon``: a MoveToBeacon teacher on another SC2 mini-game sees the
  nearest target as its beacon and nothing else (no allies, no other targets, no agent
  indicator), exactly the situation it was trained in; the mask allows only what MoveToBeacon
  allowed. The student's observation layout comes from ``env_kwargs`` (``k_allies``, ``k_targets``).

Adapters are module-level functions (or partials of them), so a ``Teacher`` pickles: rollout
workers that sample actions themselves (``ppo.sample_in_workers``) receive it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import torch

from envs.sc2.interface import ObsLayout

Adapter = Callable[[torch.Tensor, torch.Tensor | None], tuple[torch.Tensor, torch.Tensor | None]]


def _unchanged(obs: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    return obs, mask


def _first(n: int, obs: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    return obs[..., :n], mask


def identity(teacher_obs_dim: int, env_kwargs: Mapping[str, Any]) -> Adapter:
    """The teacher sees exactly what the student sees."""
    return _unchanged


def first_features(teacher_obs_dim: int, env_kwargs: Mapping[str, Any]) -> Adapter:
    """The teacher sees the first ``teacher_obs_dim`` features of the student's observation."""
    return partial(_first, teacher_obs_dim)


def _beacon_view(
    layout: ObsLayout, obs: torch.Tensor, mask: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    if obs.shape[-1] < layout.obs_dim:
        raise ValueError(
            f"an observation of size {obs.shape[-1]} is not an envs/sc2 mini-game observation "
            f"({layout.obs_dim} values with k_allies={layout.k_allies}, k_targets={layout.k_targets})"
        )
    t0 = layout.target_start(0)
    slot = slice(t0, t0 + layout.target_dim)
    target = obs[..., slot].clone()
    present = target[..., 0].clone()
    target[..., layout.type_cols] = 0.0
    target[..., layout.beacon_col] = present
    out = torch.zeros_like(obs[..., : layout.obs_dim])  # no allies, no other targets, no agent indicator
    out[..., layout.own] = obs[..., layout.own]
    out[..., slot] = target
    out[..., layout.time_left] = obs[..., layout.time_left]
    if mask is not None:  # only target slot 0 exists for the teacher
        mask = mask.clone()
        mask[..., layout.first_target_action + 1 :] = False
    return out, mask


def nearest_target_as_beacon(teacher_obs_dim: int, env_kwargs: Mapping[str, Any]) -> Adapter:
    """SC2 mini-games (``envs.sc2.interface.ObsLayout`` of the student's ``env_kwargs``, which the
    MoveToBeacon teacher shares): keep only target slot 0, with the beacon's type."""
    return partial(_beacon_view, ObsLayout.for_env_kwargs(env_kwargs))


ADAPTERS: dict[str, Callable[[int, Mapping[str, Any]], Adapter]] = {
    "identity": identity,
    "first_features": first_features,
    "nearest_target_as_beacon": nearest_target_as_beacon,
}

"""Observation adapters: how a teacher trained on one env sees the student's observations.

An adapter maps a batch of the student's raw observations ``(B, obs_dim)`` and action masks
``(B, n)`` (or ``None``) to what the teacher was trained on. Scenarios name one in
``teacher.adapter``; ``ADAPTERS[name](teacher_obs_dim)`` builds it for a given teacher.

- ``identity``: the teacher sees exactly what the student sees.
- ``first_features``: the teacher sees the first ``teacher_obs_dim`` features (a student whose
  observation appends something the teacher never had: an agent indicator, a camera image).
- ``nearest_target_as_beacon``: a MoveToBeacon teacher on another SC2 mini-game sees the
  nearest target as its beacon and nothing else (no allies, no other targets), exactly the
  situation it was trained in; the mask allows only what MoveToBeacon allowed.

Adapters are module-level functions (or partials of them), so a ``Teacher`` pickles: rollout
workers that sample actions themselves (``ppo.sample_in_workers``) receive it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch

Adapter = Callable[[torch.Tensor, torch.Tensor | None], tuple[torch.Tensor, torch.Tensor | None]]


def _unchanged(obs: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    return obs, mask


def _first(n: int, obs: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    return obs[..., :n], mask


def identity(teacher_obs_dim: int) -> Adapter:
    """The teacher sees exactly what the student sees."""
    return _unchanged


def first_features(teacher_obs_dim: int) -> Adapter:
    """The teacher sees the first ``teacher_obs_dim`` features of the student's observation."""
    return partial(_first, teacher_obs_dim)


def _sc2_slots(obs_dim: int) -> tuple[int, int]:
    """(k_allies, k_targets) of an envs/sc2 observation of size ``obs_dim``."""
    from envs.sc2 import env as sc2

    for k_allies in range(obs_dim // sc2.ALLY_DIM + 1):
        rest = obs_dim - 1 - sc2.OWN_DIM - k_allies * sc2.ALLY_DIM
        if rest >= sc2.TARGET_DIM and rest % sc2.TARGET_DIM == 0:
            return k_allies, rest // sc2.TARGET_DIM
    raise ValueError(f"an observation of size {obs_dim} is not an envs/sc2 mini-game observation")


def _beacon_view(
    type_cols: slice, beacon_col: int, obs: torch.Tensor, mask: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    from envs.sc2 import env as sc2  # loaded by nearest_target_as_beacon: a module-cache lookup

    k_allies, _ = _sc2_slots(obs.shape[-1])
    t0 = sc2.OWN_DIM + k_allies * sc2.ALLY_DIM  # target slot 0
    target = obs[..., t0 : t0 + sc2.TARGET_DIM].clone()
    present = target[..., 0].clone()
    target[..., type_cols] = 0.0
    target[..., beacon_col] = present
    out = torch.zeros_like(obs)  # no allies, no other targets
    out[..., : sc2.OWN_DIM] = obs[..., : sc2.OWN_DIM]
    out[..., t0 : t0 + sc2.TARGET_DIM] = target
    out[..., -1] = obs[..., -1]  # time left
    if mask is not None:  # only target slot 0 exists for the teacher
        mask = mask.clone()
        mask[..., sc2.N_FIXED + 1 :] = False
    return out, mask


def nearest_target_as_beacon(teacher_obs_dim: int) -> Adapter:
    """SC2 mini-games (the envs/sc2 layout): keep only target slot 0, with the beacon's type."""
    from envs.sc2 import env as sc2
    from envs.sc2.units import BEACON, UNIT_TYPES

    type_cols = slice(sc2.ALLY_DIM - sc2.N_TYPES, sc2.ALLY_DIM)  # the type one-hot inside a slot block
    return partial(_beacon_view, type_cols, type_cols.start + UNIT_TYPES.index(BEACON))


ADAPTERS: dict[str, Callable[[int], Adapter]] = {
    "identity": identity,
    "first_features": first_features,
    "nearest_target_as_beacon": nearest_target_as_beacon,
}

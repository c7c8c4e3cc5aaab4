"""Observation adapters: how a teacher trained on one env sees the student's observations.

An adapter maps a batch of the student's raw observations ``(B, obs_dim)`` to the teacher's
raw observation layout. Scenarios name adapters in ``teacher.adapter``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Adapter = Callable[[torch.Tensor], torch.Tensor]


def identity(obs: torch.Tensor) -> torch.Tensor:
    """The teacher sees exactly what the student sees."""
    return obs


ADAPTERS: dict[str, Adapter] = {"identity": identity}

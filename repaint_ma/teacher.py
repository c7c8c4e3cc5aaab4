"""Teachers: a frozen policy (``policy.pt``) plus a card (``card.yaml``), with an adapter.

Any run directory written by ``repaint run`` is a valid teacher folder; ``teachers/`` holds
the shipped ones. The teacher's spaces are checked against the target env at load time.
``resolve_policy`` is the one lookup of "a run dir, a teacher folder or a policy.pt" that every
command taking a trained policy uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from gymnasium import spaces
from torch import nn

from envs.vector import VecEnv
from repaint_ma.adapters import ADAPTERS, Adapter
from repaint_ma.distributions import Distribution
from repaint_ma.errors import ScenarioError, TeacherError, UsageError
from repaint_ma.networks import ActorCritic, load_policy
from repaint_ma.scenario import Scenario


class Teacher(nn.Module):
    """A frozen ``ActorCritic`` seen through an adapter; takes the student's *raw* observations.

    ``act_raw`` as the student's, so rollouts and evaluations share one path;
    the teacher applies its own observation statistics.
    """

    def __init__(self, model: ActorCritic, adapter: Adapter, card: dict[str, Any]) -> None:
        super().__init__()
        self.model, self.adapter, self.card = model.eval(), adapter, card
        for p in self.model.parameters():
            p.requires_grad_(False)

    def _see(self, raw_obs: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        obs, mask = self.adapter(raw_obs, mask)
        return self.model.normalize(obs), mask

    @torch.no_grad()
    def dist(self, raw_obs: torch.Tensor, mask: torch.Tensor | None = None) -> Distribution:
        return self.model.dist(*self._see(raw_obs, mask))

    def act_raw(
        self, raw_obs: torch.Tensor, mask: torch.Tensor | None = None, deterministic: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model.act(*self._see(raw_obs, mask), deterministic)


def resolve_policy(path: str | Path, what: str) -> tuple[Path, Path | None]:
    """``(policy.pt, its config.yaml or card.yaml or None)`` of a run dir, a teacher folder or a ``.pt`` file.

    Raises:
        UsageError: starting with ``what`` (the flag or argument that named ``path``) when there is no policy.
    """
    path = Path(path)
    policy_file = path / "policy.pt" if path.is_dir() else path
    if not policy_file.is_file() or policy_file.suffix != ".pt":
        raise UsageError(f"{what}: not a policy: not a run dir or teacher folder with policy.pt, nor a .pt file")
    meta = (policy_file.parent / name for name in ("config.yaml", "card.yaml"))
    return policy_file, next((m for m in meta if m.is_file()), None)


def _same_space(a: spaces.Space, b: spaces.Space) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, spaces.Discrete):
        return a.n == b.n
    if isinstance(a, spaces.MultiDiscrete):
        return np.array_equal(a.nvec, b.nvec)
    return a.shape == b.shape


def load_teacher(
    path: str | Path,
    adapter: str,
    student_obs_dim: int,
    action_space: spaces.Space,
    env_kwargs: Mapping[str, Any],
) -> Teacher:
    """Load a teacher folder and check that, through ``adapter``, it fits the student's env (built with
    ``env_kwargs``, which an adapter may read the observation layout from).

    Raises:
        TeacherError: naming the folder and both shapes when something does not fit.
    """
    folder = Path(path)
    policy_file = folder / "policy.pt"
    if not policy_file.is_file():
        raise TeacherError(f"{folder}: no policy.pt (a teacher folder holds policy.pt and card.yaml)")
    card_file = folder / "card.yaml"
    card = yaml.safe_load(card_file.read_text()) if card_file.is_file() else {}
    model, _ = load_policy(policy_file)
    want = model.config["obs_dim"]
    fn = ADAPTERS[adapter](want, env_kwargs)
    try:
        seen = fn(torch.zeros(1, student_obs_dim), None)[0].shape[-1]
    except ValueError as err:  # an adapter that does not apply to this env's layout
        raise TeacherError(f"{folder}: adapter {adapter!r} does not fit the env's observations: {err}") from None
    if seen != want:
        raise TeacherError(
            f"{folder}: teacher observation shape ({want},) does not match the env's "
            f"({student_obs_dim},) seen through adapter {adapter!r} as ({seen},)"
        )
    if not _same_space(model.config["action_space"], action_space):
        raise TeacherError(
            f"{folder}: teacher action space {model.config['action_space']} does not match the env's {action_space}"
        )
    return Teacher(model, fn, card or {})


def load_scenario_teacher(sc: Scenario, vec: VecEnv) -> Teacher:
    """The scenario's teacher, checked against ``vec``'s spaces; a misfit is a ``ScenarioError`` on ``teacher.path``."""
    try:
        return load_teacher(sc.teacher.path, sc.teacher.adapter, vec.obs_dim, vec.action_space, sc.env_kwargs)
    except TeacherError as err:
        raise ScenarioError(sc.source, "teacher.path", str(err)) from None

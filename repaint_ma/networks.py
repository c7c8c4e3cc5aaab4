"""Actor and critic networks, the running observation normaliser, and saving a policy.

One ``ActorCritic`` serves every agent of a scenario (parameter sharing). Student and
teacher share ``act(obs, mask)``, so both roll out through one code path. Networks take
*normalised* observations; ``normalize`` maps raw observations with the running statistics (saved with the weights).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from repaint_ma.checkpoint import POLICY_FORMAT, atomic_save, safe_load
from repaint_ma.distributions import ActionHead, Distribution
from repaint_ma.errors import PolicyFileError


class RunningMeanStd(nn.Module):
    """Running mean / variance of observations (parallel-variance update, Chan et al.)."""

    def __init__(self, dim: int, clip: float = 10.0, eps: float = 1e-8) -> None:
        super().__init__()
        self.clip, self.eps = clip, eps
        self.register_buffer("mean", torch.zeros(dim, dtype=torch.float64))
        self.register_buffer("var", torch.ones(dim, dtype=torch.float64))
        self.register_buffer("count", torch.tensor(eps, dtype=torch.float64))

    def update(self, x: torch.Tensor) -> None:
        if len(x) == 0:
            return
        x = x.double()
        batch_mean, batch_var, n = x.mean(0), x.var(0, unbiased=False), len(x)
        delta, total = batch_mean - self.mean, self.count + n
        m2 = self.var * self.count + batch_var * n + delta.pow(2) * self.count * n / total
        self.mean += delta * n / total
        self.var.copy_(m2 / total)
        self.count.copy_(total)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = (x - self.mean.float()) / torch.sqrt(self.var.float() + self.eps)
        return z.clamp(-self.clip, self.clip)


def _mlp(sizes: list[int], out_gain: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layer = nn.Linear(a, b)
        last = i == len(sizes) - 2
        nn.init.orthogonal_(layer.weight, out_gain if last else np.sqrt(2))
        nn.init.zeros_(layer.bias)
        layers += [layer] if last else [layer, nn.Tanh()]
    return nn.Sequential(*layers)


class ActorCritic(nn.Module):
    """Separate actor and critic MLPs over a flat observation vector.

    Continuous actions use a state-independent ``log_std`` parameter.
    """

    def __init__(
        self,
        obs_dim: int,
        action_space: spaces.Space,
        hidden: list[int],
        norm_obs: bool = True,
        init_log_std: float = 0.0,
    ) -> None:
        super().__init__()
        self.config = {
            "obs_dim": obs_dim,
            "action_space": action_space,
            "hidden": list(hidden),
            "norm_obs": norm_obs,
            "init_log_std": init_log_std,
        }
        self.head = ActionHead(action_space)
        self.obs_rms = RunningMeanStd(obs_dim) if norm_obs else None
        self.actor = _mlp([obs_dim, *hidden, self.head.n_logits], out_gain=0.01)
        self.critic = _mlp([obs_dim, *hidden, 1], out_gain=1.0)
        if self.head.kind == "gaussian":
            self.log_std = nn.Parameter(torch.full((self.head.n_logits,), float(init_log_std)))

    def normalize(self, raw_obs: torch.Tensor, update: bool = False) -> torch.Tensor:
        """Normalise raw observations; with ``update`` first fold them into the statistics."""
        if self.obs_rms is None:
            return raw_obs
        if update:
            self.obs_rms.update(raw_obs)
        return self.obs_rms(raw_obs)

    def actor_parameters(self) -> list[nn.Parameter]:
        extra = [self.log_std] if self.head.kind == "gaussian" else []
        return [*self.actor.parameters(), *extra]

    def dist(self, obs: torch.Tensor, mask: torch.Tensor | None = None) -> Distribution:
        out = self.actor(obs)
        if self.head.kind == "gaussian":
            out = torch.cat([out, self.log_std.expand_as(out)], -1)
        return self.head.build(out, mask)

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        return self.critic(obs).squeeze(-1)

    @torch.no_grad()
    def act(
        self, obs: torch.Tensor, mask: torch.Tensor | None = None, deterministic: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Rollout step: (action, log-prob) for a batch of normalised observations.

        Values are computed afterwards in one batched pass, not per step.
        """
        dist = self.dist(obs, mask)
        action = dist.mode() if deterministic else dist.sample()
        return action, dist.log_prob(action)

    def act_raw(
        self, raw_obs: torch.Tensor, mask: torch.Tensor | None = None, deterministic: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``act`` on raw observations, normalised with the current statistics (``Teacher.act_raw`` alike)."""
        return self.act(self.normalize(raw_obs), mask, deterministic)


def space_to_data(space: spaces.Space) -> dict[str, Any]:
    """An action space as plain data (what a policy file stores instead of a pickled ``Space``)."""
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.MultiDiscrete):
        return {"type": "MultiDiscrete", "nvec": np.asarray(space.nvec).tolist()}
    if isinstance(space, spaces.Box):
        return {"type": "Box", "low": space.low.tolist(), "high": space.high.tolist(), "dtype": str(space.dtype)}
    raise TypeError(f"unsupported action space {space}: use Discrete, MultiDiscrete or Box")


def space_from_data(data: dict[str, Any]) -> spaces.Space:
    """The inverse of :func:`space_to_data`."""
    if data["type"] == "Discrete":
        return spaces.Discrete(data["n"], start=data["start"])
    if data["type"] == "MultiDiscrete":
        return spaces.MultiDiscrete(data["nvec"])
    dtype = np.dtype(data["dtype"])
    return spaces.Box(np.asarray(data["low"], dtype), np.asarray(data["high"], dtype), dtype=dtype)


def policy_data(model: ActorCritic) -> dict[str, Any]:
    """A policy file's contents: the architecture as plain data and the weights (with obs statistics)."""
    config = {**model.config, "action_space": space_to_data(model.config["action_space"])}
    return {"format": POLICY_FORMAT, "config": config, "state_dict": model.state_dict()}


def save_policy(model: ActorCritic, path: str | Path) -> None:
    """Write the policy file teachers use: tensors and plain data only, so loading it runs no code."""
    atomic_save(policy_data(model), path)


def load_policy(path: str | Path) -> tuple[ActorCritic, dict[str, Any]]:
    """Load ``save_policy``'s file (with ``torch.load(weights_only=True)``); returns the model (eval mode)
    and the whole saved dict.

    Raises:
        PolicyFileError: the file is unreadable, not a policy, or in the old format that pickled Python objects.
    """
    blob = safe_load(path, POLICY_FORMAT)
    try:
        model = ActorCritic(**{**blob["config"], "action_space": space_from_data(blob["config"]["action_space"])})
        model.load_state_dict(blob["state_dict"])
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise PolicyFileError(f"{path}: not a usable policy file ({type(err).__name__}: {err})") from None
    return model.eval(), blob

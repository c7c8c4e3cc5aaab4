"""Action distributions built from a flat parameter tensor.

Each distribution is rebuilt from ``params`` (``dist.params``), so a teacher's output can be
stored at collection time and turned back into a distribution in the update: this is what
the kickstarting cross-entropy ``H(pi_teacher || pi_theta)`` needs.

- ``Categorical``: params are (masked) logits; illegal actions get probability 0.
- ``MultiCategorical``: concatenated logits of independent categoricals (MultiDiscrete).
- ``DiagGaussian``: params are ``[mean, log_std]``; actions are unbounded (clipped by the env).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from gymnasium import spaces

_MASKED_LOGIT = -1e8  # finite, so 0 * log p stays 0 (not NaN) for masked actions


class Categorical:
    """A categorical distribution over ``logits`` with an optional boolean ``mask``."""

    def __init__(self, logits: torch.Tensor, mask: torch.Tensor | None = None) -> None:
        if mask is not None:
            logits = torch.where(mask.bool(), logits, torch.full_like(logits, _MASKED_LOGIT))
        self.params = logits
        self.log_probs = torch.log_softmax(logits, dim=-1)

    def sample(self) -> torch.Tensor:
        return torch.multinomial(self.log_probs.exp(), 1).squeeze(-1)

    def mode(self) -> torch.Tensor:
        return self.log_probs.argmax(-1)

    def log_prob(self, action: torch.Tensor) -> torch.Tensor:
        return self.log_probs.gather(-1, action.long().unsqueeze(-1)).squeeze(-1)

    def entropy(self) -> torch.Tensor:
        return -(self.log_probs.exp() * self.log_probs).sum(-1)

    def cross_entropy(self, teacher: Categorical) -> torch.Tensor:
        """H(pi_T || pi_theta) = -sum_a pi_T(a) log pi_theta(a)."""
        return -(teacher.log_probs.exp() * self.log_probs).sum(-1)


class MultiCategorical:
    """Independent categoricals over ``nvec`` (a MultiDiscrete action)."""

    def __init__(self, logits: torch.Tensor, nvec: list[int], mask: torch.Tensor | None = None) -> None:
        self.nvec = nvec
        masks = mask.split(nvec, -1) if mask is not None else [None] * len(nvec)
        self.parts = [Categorical(lg, m) for lg, m in zip(logits.split(nvec, -1), masks, strict=True)]
        self.params = torch.cat([p.params for p in self.parts], -1)

    def sample(self) -> torch.Tensor:
        return torch.stack([p.sample() for p in self.parts], -1)

    def mode(self) -> torch.Tensor:
        return torch.stack([p.mode() for p in self.parts], -1)

    def log_prob(self, action: torch.Tensor) -> torch.Tensor:
        return sum(p.log_prob(a) for p, a in zip(self.parts, action.unbind(-1), strict=True))

    def entropy(self) -> torch.Tensor:
        return sum(p.entropy() for p in self.parts)

    def cross_entropy(self, teacher: MultiCategorical) -> torch.Tensor:
        return sum(p.cross_entropy(q) for p, q in zip(self.parts, teacher.parts, strict=True))


class DiagGaussian:
    """A diagonal Gaussian with ``params = [mean, log_std]`` along the last dimension."""

    def __init__(self, params: torch.Tensor) -> None:
        self.params = params
        self.mean, self.log_std = params.chunk(2, -1)
        self.std = self.log_std.exp()

    def sample(self) -> torch.Tensor:
        return self.mean + self.std * torch.randn_like(self.mean)

    def mode(self) -> torch.Tensor:
        return self.mean

    def log_prob(self, action: torch.Tensor) -> torch.Tensor:
        z = (action - self.mean) / self.std
        return (-0.5 * z.pow(2) - self.log_std - 0.5 * math.log(2 * math.pi)).sum(-1)

    def entropy(self) -> torch.Tensor:
        return (0.5 + 0.5 * math.log(2 * math.pi) + self.log_std).sum(-1)

    def cross_entropy(self, teacher: DiagGaussian) -> torch.Tensor:
        """Closed form: sum_i log s_i + log(2 pi)/2 + (S_i^2 + (M_i - m_i)^2) / (2 s_i^2),
        with (M, S) the teacher's and (m, s) the student's mean and std."""
        var = self.std.pow(2)
        quad = (teacher.std.pow(2) + (teacher.mean - self.mean).pow(2)) / (2 * var)
        return (self.log_std + 0.5 * math.log(2 * math.pi) + quad).sum(-1)


Distribution = Categorical | MultiCategorical | DiagGaussian


class ActionHead:
    """What the policy needs to know about an action space: sizes and how to build its distribution."""

    def __init__(self, space: spaces.Space) -> None:
        self.space = space
        if isinstance(space, spaces.Discrete):
            self.kind, self.n_logits, self.action_shape = "discrete", int(space.n), ()
        elif isinstance(space, spaces.MultiDiscrete):
            self.nvec = [int(n) for n in np.asarray(space.nvec).ravel()]
            self.kind, self.n_logits, self.action_shape = "multi", sum(self.nvec), (len(self.nvec),)
        elif isinstance(space, spaces.Box):
            self.kind, self.n_logits, self.action_shape = (
                "gaussian",
                int(np.prod(space.shape)),
                space.shape,
            )
        else:
            raise TypeError(f"unsupported action space {space}: use Discrete, MultiDiscrete or Box")
        self.param_dim = 2 * self.n_logits if self.kind == "gaussian" else self.n_logits
        self.action_dtype = torch.float32 if self.kind == "gaussian" else torch.long

    def build(self, params: torch.Tensor, mask: torch.Tensor | None = None) -> Distribution:
        """Rebuild a distribution from stored ``params`` (e.g. a teacher's, saved at collection)."""
        if self.kind == "discrete":
            return Categorical(params, mask)
        if self.kind == "multi":
            return MultiCategorical(params, self.nvec, mask)
        return DiagGaussian(params)

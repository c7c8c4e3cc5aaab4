"""The REPAINT math (Tao et al., ICML 2021), as pure functions: tensors in, tensors out.

Actor update at iteration k (Algorithm 1 of the paper):
    theta <- theta + alpha1 * grad L_rep^k(theta)  [student samples S]
                   + alpha2 * grad L_ins(theta)    [selected teacher samples S~]
    L_rep^k = L_clip(theta) - beta_k * H(pi_teacher || pi_theta)      (representation transfer)
    L_ins   = E[min(rho * A~, clip(rho, 1 - eps, 1 + eps) * A~)],
              rho = pi_theta(a~|s~) / pi_teacher(a~|s~)                (instance transfer)
Teacher transitions are kept only where their advantage A~ (GAE under the student's critic,
expressed in units of the student's advantages) passes the selection rule. The functions below
return *losses to minimise* (negated objectives).
"""

from __future__ import annotations

import math

import torch

from repaint_ma.distributions import Distribution
from repaint_ma.scenario import ScheduleSpec, SelectionSpec


def weight_k(spec: ScheduleSpec | float, k: int) -> float:
    """A scheduled weight at iteration ``k`` (k = 1 is the first): beta_k, or the IT weight.

    constant: start;  linear: max(0, start - decay * (k - 1));  exponential: start * decay**(k - 1).
    A plain number is a constant weight.
    """
    if not isinstance(spec, ScheduleSpec):
        return float(spec)
    if spec.schedule == "constant":
        return spec.start
    if spec.schedule == "linear":
        return max(0.0, spec.start - spec.decay * (k - 1))
    return spec.start * spec.decay ** (k - 1)


def clipped_surrogate_loss(logratio: torch.Tensor, advantages: torch.Tensor, clip: float) -> torch.Tensor:
    """-E[min(r A, clip(r, 1-eps, 1+eps) A)] with r = exp(logratio).

    The PPO loss -L_clip (logratio over the old student policy) and the instance-transfer
    loss -L_ins (logratio over the teacher's stored log-prob, A = A~) are this same formula.
    """
    ratio = logratio.exp()
    unclipped = ratio * advantages
    clipped = ratio.clamp(1.0 - clip, 1.0 + clip) * advantages
    return -torch.min(unclipped, clipped).mean()


def ce_loss(student: Distribution, teacher: Distribution) -> torch.Tensor:
    """Kickstarting loss: mean cross-entropy H(pi_teacher || pi_theta) over the batch."""
    return student.cross_entropy(teacher).mean()


def adv_in_student_units(adv_teacher: torch.Tensor, adv_student: torch.Tensor, norm: str) -> torch.Tensor:
    """A~ in the units of the student's normalised advantages of the same iteration (never centred by its
    own mean, which would flip the sign of good samples whatever their value).

    student: (A~ - mean(A)) / std(A). A critic that lags inflates every advantage, the student's and the
        teacher's alike; PPO's mean-centring removes that shared bias from A, and this removes it from
        A~, so zeta is in student sigmas above the student's own average sample.
    scale: A~ / std(A), the shared bias kept (the rule before this choice; for ablations).
    """
    if norm == "student":
        return (adv_teacher - adv_student.mean()) / (adv_student.std() + 1e-8)
    return adv_teacher / (adv_student.std() + 1e-8)


def select(adv_teacher: torch.Tensor, spec: SelectionSpec) -> torch.Tensor:
    """Advantage-based experience selection: a boolean mask over teacher transitions.

    threshold: keep A~ >= zeta;  top: keep the ceil(fraction * n) largest A~.
    """
    if spec.rule == "threshold":
        return adv_teacher >= spec.zeta
    keep = torch.zeros_like(adv_teacher, dtype=torch.bool)
    n_keep = math.ceil(spec.fraction * len(adv_teacher))
    keep[torch.topk(adv_teacher, n_keep).indices] = True
    return keep

"""The REPAINT losses, cross-entropies, selection and beta_k schedules against hand-computed values."""

import math

import pytest
import torch
from gymnasium import spaces

from repaint_ma.distributions import ActionHead, Categorical, DiagGaussian
from repaint_ma.repaint import adv_in_student_units, ce_loss, clipped_surrogate_loss, select, weight_k
from repaint_ma.scenario import ScheduleSpec, SelectionSpec


def test_clipped_surrogate_hand_computed():
    ratio = torch.tensor([0.5, 1.5, 1.1, 0.7])
    adv = torch.tensor([1.0, 1.0, -1.0, -1.0])
    # min(rA, clip(r)A) = [0.5, 1.2, -1.1, -0.8] -> mean -0.05; the loss is its negation
    loss = clipped_surrogate_loss(ratio.log(), adv, clip=0.2)
    assert loss.item() == pytest.approx(0.05)


def test_ins_loss_clips_on_both_sides():
    # rho = pi_theta / pi_teacher; with A~ > 0 the objective caps rho at 1 + eps, and with
    # A~ < 0 at 1 - eps (min picks the pessimistic side in both cases)
    teacher_logp = torch.log(torch.tensor([0.2, 0.6, 0.2, 0.6]))
    student_logp = torch.log(torch.tensor([0.3, 0.3, 0.3, 0.3]))  # rho = 1.5, .5, 1.5, .5
    adv_teacher = torch.tensor([2.0, 2.0, -2.0, -2.0])
    # min(rho A, clip(rho) A) = [min(3, 2.4), min(1, 1.6), min(-3, -2.4), min(-1, -1.6)]
    expected = -(2.4 + 1.0 - 3.0 - 1.6) / 4
    loss = clipped_surrogate_loss(student_logp - teacher_logp, adv_teacher, clip=0.2)
    assert loss.item() == pytest.approx(expected)


def test_identical_student_and_teacher():
    logits = torch.tensor([[0.3, -1.0, 2.0], [0.0, 0.5, -0.5]])
    student, teacher = Categorical(logits), Categorical(logits.clone())
    a = torch.tensor([2, 0])
    ratio = (student.log_prob(a) - teacher.log_prob(a)).exp()
    assert ratio.tolist() == [1.0, 1.0]
    assert ce_loss(student, teacher).item() == pytest.approx(student.entropy().mean().item())
    g = torch.tensor([[0.1, -0.3, 0.2, -1.0]])
    assert DiagGaussian(g).cross_entropy(DiagGaussian(g)).item() == pytest.approx(DiagGaussian(g).entropy().item())


def test_discrete_cross_entropy_hand_computed():
    # asymmetric pair: H(T || S) = 1.3691 but H(S || T) = 1.7251, so a swapped direction fails
    teacher = Categorical(torch.log(torch.tensor([[0.7, 0.2, 0.1]])))
    student = Categorical(torch.log(torch.tensor([[0.2, 0.3, 0.5]])))
    expected = -(0.7 * math.log(0.2) + 0.2 * math.log(0.3) + 0.1 * math.log(0.5))
    assert ce_loss(student, teacher).item() == pytest.approx(expected)
    assert ce_loss(teacher, student).item() == pytest.approx(
        -(0.2 * math.log(0.7) + 0.3 * math.log(0.2) + 0.5 * math.log(0.1))
    )


def test_gaussian_cross_entropy_closed_form():
    # teacher N(1, 2^2), student N(0, 1): log 1 + log(2 pi)/2 + (4 + 1) / 2, twice (2-D)
    teacher = DiagGaussian(torch.tensor([[1.0, 1.0, math.log(2.0), math.log(2.0)]]))
    student = DiagGaussian(torch.tensor([[0.0, 0.0, 0.0, 0.0]]))
    expected = 2 * (0.5 * math.log(2 * math.pi) + 2.5)
    assert ce_loss(student, teacher).item() == pytest.approx(expected)
    # and it agrees with a Monte-Carlo estimate of -E_T[log pi_theta]
    torch.manual_seed(0)
    samples = teacher.mean + teacher.std * torch.randn(200_000, 2)
    mc = -student.log_prob(samples).mean().item()
    assert mc == pytest.approx(expected, rel=0.01)


def test_masked_actions_are_never_chosen():
    torch.manual_seed(0)
    dist = Categorical(torch.zeros(1000, 3), mask=torch.tensor([[1, 0, 1]]).expand(1000, 3))
    assert (dist.sample() != 1).all()
    assert dist.log_probs[0].exp().tolist() == pytest.approx([0.5, 0.0, 0.5])
    assert dist.entropy()[0].item() == pytest.approx(math.log(2))
    assert torch.isfinite(dist.entropy()).all()
    # a masked teacher contributes nothing from the illegal action to the cross-entropy
    teacher = Categorical(torch.zeros(1, 3), mask=torch.tensor([[1, 0, 1]]))
    assert ce_loss(Categorical(torch.zeros(1, 3)), teacher).item() == pytest.approx(math.log(3))


def test_multidiscrete_head_sums_components():
    head = ActionHead(spaces.MultiDiscrete([2, 3]))
    dist = head.build(torch.zeros(1, 5))
    assert dist.log_prob(torch.tensor([[1, 2]])).item() == pytest.approx(math.log(1 / 6))
    assert dist.entropy().item() == pytest.approx(math.log(6))


def test_threshold_and_top_fraction_selection():
    adv = torch.tensor([-1.0, 0.0, 0.5, 2.0, 3.0])
    assert select(adv, SelectionSpec(rule="threshold", zeta=0.5)).tolist() == [
        False,
        False,
        True,
        True,
        True,
    ]
    assert select(adv, SelectionSpec(rule="threshold", zeta=0.0)).tolist() == [
        False,
        True,
        True,
        True,
        True,
    ]
    assert select(adv, SelectionSpec(rule="top", fraction=0.4)).tolist() == [
        False,
        False,
        False,
        True,
        True,
    ]
    assert select(adv, SelectionSpec(rule="top", fraction=0.3)).tolist() == [
        False,
        False,
        False,
        True,
        True,
    ]


def test_teacher_advantages_in_student_units_hand_computed():
    adv_student = torch.tensor([1.0, 3.0, 5.0])  # mean 3, std 2 (unbiased)
    adv_teacher = torch.tensor([3.0, 5.0, 1.0, 7.0])
    # student: (A~ - 3) / 2; a critic's shared bias (+3 on everything) cancels; never A~'s own mean (4)
    assert adv_in_student_units(adv_teacher, adv_student, "student").tolist() == pytest.approx([0.0, 1.0, -1.0, 2.0])
    assert adv_in_student_units(adv_teacher + 3, adv_student + 3, "student").tolist() == pytest.approx(
        [0.0, 1.0, -1.0, 2.0]
    )
    assert adv_in_student_units(adv_teacher, adv_student, "scale").tolist() == pytest.approx([1.5, 2.5, 0.5, 3.5])


def test_beta_schedules():
    assert [weight_k(ScheduleSpec("constant", 0.7, 0.5), k) for k in (1, 10)] == [0.7, 0.7]
    assert [weight_k(ScheduleSpec("linear", 1.0, 0.3), k) for k in (1, 2, 4, 5)] == pytest.approx([1.0, 0.7, 0.1, 0.0])
    assert [weight_k(ScheduleSpec("exponential", 1.0, 0.5), k) for k in (1, 2, 3)] == [1.0, 0.5, 0.25]
    assert [weight_k(0.7, k) for k in (1, 50)] == [0.7, 0.7]  # a plain number: a constant weight

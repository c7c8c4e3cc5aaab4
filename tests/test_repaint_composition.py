"""One REPAINT iteration (``learner.update``) against the paper's composition, written out by hand.

Tiny hand-built batches: every transition ends its episode (so A = r - V(s) and the returns are r), one
epoch of one minibatch, plain SGD without gradient clipping. The reference below re-derives the
parameter moves from the paper's formulas term by term: the critic fitted on S only; A~ under the fitted
critic, in the student's advantage units; selection by zeta; the actor on -L_clip + beta_k CE(pi_T || pi)
- ent_coef H on S plus ins_coef_k * -L_ins on the kept S~ with rho over the teacher's stored log-prob.
Removing, flipping or reordering any of these moves the networks away from the reference.
"""

import copy

import pytest
import torch
from gymnasium import spaces

from repaint_ma import learner
from repaint_ma.networks import ActorCritic
from repaint_ma.rollout import Rollout
from repaint_ma.scenario import from_dict

T, OBS, N_ACTIONS = 8, 3, 3
LR = 0.5
BETA_K, INS_COEF_K, ENT_COEF, CLIP = 0.5, 0.7, 0.01, 0.2


def _scenario(**transfer):
    return from_dict(
        {
            "name": "composition",
            "env": {"id": "classic/CartPole-v1"},
            "transfer": {"selection": {"rule": "threshold", "zeta": 0.0}, **transfer},
            "ppo": {"epochs": 1, "minibatch": T, "ent_coef": ENT_COEF, "clip": CLIP, "vf_coef": 0.5,
                    "max_grad_norm": 1.0e9, "norm_obs": False},
        }
    )  # fmt: skip


def _rollout(obs, actions, logprobs, rewards, teacher_params=None) -> Rollout:
    ones = torch.ones(T, 1, dtype=torch.bool)  # every transition ends its episode
    return Rollout(
        obs=obs[:, None], next_obs=torch.zeros_like(obs)[:, None], masks=None, actions=actions[:, None],
        logprobs=logprobs[:, None], rewards=rewards[:, None], terminated=ones, dones=ones, valid=ones,
        teacher_params=None if teacher_params is None else teacher_params[:, None],
    )  # fmt: skip


@pytest.fixture
def setup():
    torch.manual_seed(0)
    student = ActorCritic(OBS, spaces.Discrete(N_ACTIONS), [4], norm_obs=False)
    obs, obs_t = torch.randn(T, OBS), torch.randn(T, OBS)
    actions, actions_t = torch.randint(N_ACTIONS, (T,)), torch.randint(N_ACTIONS, (T,))
    with torch.no_grad():
        logp_old = student.dist(obs).log_prob(actions)  # pi_theta_old: the ratio starts at 1
        logp_t = student.dist(obs_t).log_prob(actions_t) + torch.linspace(-0.1, 0.1, T)  # pi_teacher != pi_theta
    teacher_logits = torch.randn(T, N_ACTIONS) * 2.0  # an asymmetric teacher: CE(T||pi) != CE(pi||T)
    rewards = torch.randn(T)
    rewards_t = torch.tensor([2.0, -2.0, 1.5, -1.0, 0.5, -0.5, 3.0, -3.0])
    S = _rollout(obs, actions, logp_old, rewards, teacher_logits)
    S_tilde = _rollout(obs_t, actions_t, logp_t, rewards_t)
    return student, S, S_tilde


def _sgd_step(params, loss) -> None:
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for p, g in zip(params, grads, strict=True):
            p -= LR * g


def _reference(student, S, S_tilde, norm="student", zeta=0.0, ins_mean="kept"):
    """The paper's iteration, term by term, on one minibatch."""
    net = copy.deepcopy(student)
    s, a, r = S.obs[:, 0], S.actions[:, 0], S.rewards[:, 0]
    s_t, a_t, r_t = S_tilde.obs[:, 0], S_tilde.actions[:, 0], S_tilde.rewards[:, 0]
    # 3. A on S under V before the fit; the critic fitted on S only
    adv = (r - net.value(s)).detach()
    _sgd_step(list(net.critic.parameters()), 0.5 * 0.5 * (net.value(s) - r).pow(2).mean())
    # 4. A~ under the fitted critic, in student units; keep A~ >= zeta
    adv_t = (r_t - net.value(s_t)).detach()
    adv_t = (adv_t - adv.mean()) / (adv.std() + 1e-8) if norm == "student" else adv_t / (adv.std() + 1e-8)
    keep = adv_t >= zeta
    # 5. actor: -L_clip + beta_k CE(pi_T || pi_theta) - ent_coef H on S, ins_coef * -L_ins on the kept S~
    logits = net.actor(s)
    logp = torch.log_softmax(logits, -1)
    ratio = (logp.gather(1, a[:, None])[:, 0] - S.logprobs[:, 0]).exp()
    a_hat = (adv - adv.mean()) / (adv.std() + 1e-8)
    l_clip = torch.min(ratio * a_hat, ratio.clamp(1 - CLIP, 1 + CLIP) * a_hat).mean()
    pi_teacher = torch.softmax(S.teacher_params[:, 0], -1)
    ce = -(pi_teacher * logp).sum(-1).mean()
    entropy = -(logp.exp() * logp).sum(-1).mean()
    logp_t = torch.log_softmax(net.actor(s_t), -1).gather(1, a_t[:, None])[:, 0]
    rho = (logp_t - S_tilde.logprobs[:, 0]).exp()[keep]
    l_ins = torch.min(rho * adv_t[keep], rho.clamp(1 - CLIP, 1 + CLIP) * adv_t[keep]).mean()
    ins_weight = INS_COEF_K * (keep.float().mean() if ins_mean == "all" else 1.0)
    loss = -l_clip + BETA_K * ce - ENT_COEF * entropy - ins_weight * l_ins
    _sgd_step(net.actor_parameters(), loss)
    return net, keep


def _learner_update(student, S, S_tilde, **transfer):
    net = copy.deepcopy(student)
    actor_opt = torch.optim.SGD(net.actor_parameters(), lr=LR)
    critic_opt = torch.optim.SGD(net.critic.parameters(), lr=LR)
    stats = learner.update(net, actor_opt, critic_opt, S, S_tilde, BETA_K, INS_COEF_K, _scenario(**transfer))
    return net, stats


def _assert_same_networks(got, want) -> None:
    for (name, p), q in zip(got.named_parameters(), want.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-6, msg=lambda m, name=name: f"{name}: {m}")


@pytest.mark.parametrize(
    "transfer",
    [{}, {"adv_teacher_norm": "scale"}, {"selection": {"rule": "threshold", "zeta": 0.5}}, {"ins_mean": "all"}],
    ids=["default", "scale", "zeta-0.5", "ins-mean-all"],
)
def test_one_iteration_moves_both_networks_as_the_paper_composes_it(setup, transfer):
    student, S, S_tilde = setup
    got, stats = _learner_update(student, S, S_tilde, **transfer)
    want, keep = _reference(
        student,
        S,
        S_tilde,
        norm=transfer.get("adv_teacher_norm", "student"),
        zeta=transfer.get("selection", {}).get("zeta", 0.0),
        ins_mean=transfer.get("ins_mean", "kept"),
    )
    assert 0 < keep.sum() < T  # selection has work to do: some kept, some removed
    assert stats["selected_frac"] == pytest.approx(keep.float().mean().item())
    _assert_same_networks(got, want)


def test_each_transfer_term_moves_the_actor(setup):
    """The reference is not blind to a term: dropping L_ins, the CE or the selection changes the move."""
    student, S, S_tilde = setup
    want, _ = _reference(student, S, S_tilde)
    no_teacher, _ = _learner_update(student, S, None)  # no S~: L_ins absent
    keep_all, _ = _learner_update(student, S, S_tilde, selection={"rule": "threshold", "zeta": -1.0e30})
    for other in (no_teacher, keep_all):
        moved = [(p - q).abs().max().item() for p, q in zip(other.actor_parameters(), want.actor_parameters(),
                                                             strict=True)]  # fmt: skip
        assert max(moved) > 1e-3


def test_the_learner_passes_the_scheduled_weights_each_iteration(tmp_path, monkeypatch):
    """train() hands update() beta_k and the IT weight of iteration k from their schedules."""
    seen = []
    real_update = learner.update

    def spy(student, actor_opt, critic_opt, S, S_tilde, beta_k, ins_coef_k, sc):
        seen.append((beta_k, ins_coef_k, S_tilde is not None))
        return real_update(student, actor_opt, critic_opt, S, S_tilde, beta_k, ins_coef_k, sc)

    monkeypatch.setattr(learner, "update", spy)
    sc = from_dict(
        {
            "name": "weights",
            "env": {"id": "classic/CartPole-v1"},
            "teacher": {"path": "teachers/cartpole-expert"},
            "transfer": {"mode": "repaint", "beta": {"schedule": "exponential", "start": 1.0, "decay": 0.5},
                         "ins_coef": {"schedule": "linear", "start": 0.9, "decay": 0.4}, "teacher_steps": 32},
            "ppo": {"steps_per_iteration": 64, "minibatch": 32, "epochs": 1, "num_envs": 2},
            "train": {"iterations": 3, "eval_episodes": 1},
        }
    )  # fmt: skip
    learner.train(sc, tmp_path / "run", progress=False)
    assert seen == [(1.0, 0.9, True), (0.5, pytest.approx(0.5), True), (0.25, pytest.approx(0.1), True)]

"""The learner: parameter-shared PPO with REPAINT's two transfer terms.

Iteration k (modes: baseline | ks | it | repaint), ``train``'s loop and ``update``:
  1. collect S with pi_theta_old (student), storing the teacher's distribution if beta_k > 0;
  2. collect S~ with the teacher in the target env (it, repaint): rewards come from the
     target env's reward function, i.e. are relabelled; teacher log-probs stored;
  3. GAE on S with V before the update, then fit the critic on S only;
  4. A~ of S~ by GAE under the fitted critic; keep A~ >= zeta (or the top fraction);
  5. actor epochs: minimise -L_clip + beta_k * CE - ent_coef * H on S, plus
     ins_coef * (-L_ins) on the selected S~.
"""

from __future__ import annotations

import dataclasses
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from repaint_ma import repaint, rundir
from repaint_ma.checkpoint import load_checkpoint, save_checkpoint, set_rng_state
from repaint_ma.errors import UsageError, UserError
from repaint_ma.networks import ActorCritic, save_policy
from repaint_ma.progress import IterationProgress, counted
from repaint_ma.rollout import Rollout, collect, compute_gae, evaluate, stream_seed
from repaint_ma.rundir import RunDirLock
from repaint_ma.runlog import MetricsLog, iterations_to_target, plot_curve
from repaint_ma.scenario import PPOSpec, Scenario
from repaint_ma.teacher import Teacher, load_scenario_teacher
from repaint_ma.workers import TeacherRollouts, make_vec

Batch = dict[str, torch.Tensor]  # a flat batch of valid samples (CleanRL's b_obs, b_actions, ...)


class TrainingDiverged(UserError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


@dataclass
class RunResult:
    run_dir: Path
    iterations: list[int]
    scores: list[float]
    K: int | None
    final_score: float | None
    wall_s: float
    score_means: str  # how final_score was measured, e.g. "stochastic policy, last 3 evaluations x 10 episodes"


def policy_words(deterministic: bool) -> str:
    """How an evaluated policy acts, as printed beside every score."""
    return "deterministic policy" if deterministic else "stochastic policy"


def score_means(sc: Scenario) -> str:
    """What a run's final score is the mean of: the evaluation policy, evaluations and episodes."""
    tr = sc.train
    evaluations = "last evaluation" if tr.smooth == 1 else f"last {tr.smooth} evaluations"
    return f"{policy_words(tr.eval_deterministic)}, {evaluations} x {counted(tr.eval_episodes, 'episode')}"


def advantages_of(student: ActorCritic, ro: Rollout, ppo: PPOSpec) -> tuple[torch.Tensor, torch.Tensor]:
    """GAE under the student's critic; V(s') = 0 after termination, bootstrapped after truncation."""
    with torch.no_grad():
        values = student.value(ro.obs)
        next_values = student.value(ro.next_obs) * (~ro.terminated)
    return compute_gae(ro.rewards, values, next_values, ro.dones, ro.valid, ppo.gamma, ppo.gae_lambda)


def _check_finite(name: str, value: torch.Tensor) -> None:
    if not torch.isfinite(value).all():
        raise TrainingDiverged(f"{name} is {value.item()}")


def minibatch_epochs(
    student: ActorCritic,
    batch: Batch,
    batch_tilde: Batch | None,
    beta_k: float,
    ppo: PPOSpec,
    ins_coef: float,
    critic_opt: torch.optim.Optimizer | None,
    actor_opt: torch.optim.Optimizer | None,
) -> dict[str, float | None]:
    """``ppo.epochs`` epochs of minibatches over S, fitting the critic, the actor, or both at once.

    critic (``critic_opt``): value regression on S only (REPAINT step 3).
    actor (``actor_opt``): -L_clip + beta_k * H(pi_T || pi_theta) - ent_coef * H(pi_theta) on S, plus
        ins_coef * -L_ins on the selected S~ (``batch_tilde``; REPAINT step 5); each S minibatch is
        paired with an equal share of S~, and both go through one forward pass.
    Actor and critic are separate networks with their own optimisers and clipping, so one joint pass
    over both (modes without S~, where A~ needs no fitted critic) equals two passes.
    """
    clip = ppo.clip
    n = len(batch["obs"])
    n_tilde = len(batch_tilde["obs"]) if batch_tilde is not None else 0
    logs: dict[str, list[torch.Tensor]] = {
        key: [] for key in ("value_loss", "loss_clip", "loss_ks", "loss_ins", "entropy", "approx_kl", "clipfrac")
    }
    masked = "masks" in batch
    fitted: list[tuple[str, torch.optim.Optimizer, list[torch.nn.Parameter]]] = []  # (name, optimiser, params)
    if critic_opt is not None:
        fitted.append(("critic", critic_opt, list(student.critic.parameters())))
    if actor_opt is not None:
        fitted.append(("actor", actor_opt, student.actor_parameters()))
    loss_name = " + ".join(name for name, _, _ in fitted) + " loss"
    for _ in range(ppo.epochs):
        student_mbs = torch.randperm(n).split(ppo.minibatch)
        teacher_mbs = torch.randperm(n_tilde).tensor_split(len(student_mbs))
        for mb_inds, mbt_inds in zip(student_mbs, teacher_mbs, strict=True):
            loss = torch.zeros(())
            if critic_opt is not None:
                v_loss = ppo.vf_coef * 0.5 * (student.value(batch["obs"][mb_inds]) - batch["returns"][mb_inds]).pow(2)
                v_loss = v_loss.mean()
                loss = loss + v_loss
                logs["value_loss"].append(v_loss.detach())
            if actor_opt is not None:
                m, m_tilde = len(mb_inds), len(mbt_inds)
                obs, masks = batch["obs"][mb_inds], batch["masks"][mb_inds] if masked else None
                actions = batch["actions"][mb_inds]
                if m_tilde:  # one forward pass over the S and S~ minibatches
                    obs = torch.cat([obs, batch_tilde["obs"][mbt_inds]])
                    masks = torch.cat([masks, batch_tilde["masks"][mbt_inds]]) if masked else None
                    actions = torch.cat([actions, batch_tilde["actions"][mbt_inds]])
                dist = student.dist(obs, masks)
                newlogprob = dist.log_prob(actions)
                logratio = newlogprob[:m] - batch["logprobs"][mb_inds]
                mb_adv = batch["advantages"][mb_inds]
                if ppo.norm_adv and m > 1:
                    mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)
                pg_loss = repaint.clipped_surrogate_loss(logratio, mb_adv, clip)  # -L_clip
                dist_s = student.head.build(dist.params[:m]) if m_tilde else dist  # S rows only
                entropy = dist_s.entropy().mean()
                loss = loss + pg_loss - ppo.ent_coef * entropy
                if beta_k > 0:  # representation transfer: + beta_k * H(pi_T || pi_theta)
                    teacher_dist = student.head.build(batch["teacher_params"][mb_inds], masks[:m] if masked else None)
                    ce_loss = repaint.ce_loss(dist_s, teacher_dist)
                    loss = loss + beta_k * ce_loss
                    logs["loss_ks"].append(ce_loss.detach())
                if m_tilde:  # instance transfer: -L_ins with rho = pi_theta / pi_teacher
                    logratio_tilde = newlogprob[m:] - batch_tilde["logprobs"][mbt_inds]
                    ins_loss = repaint.clipped_surrogate_loss(logratio_tilde, batch_tilde["advantages"][mbt_inds], clip)
                    loss = loss + ins_coef * ins_loss
                    logs["loss_ins"].append(ins_loss.detach())
                with torch.no_grad():
                    ratio = logratio.exp()
                    logs["approx_kl"].append(((ratio - 1) - logratio).mean())
                    logs["clipfrac"].append(((ratio - 1.0).abs() > clip).float().mean())
                logs["loss_clip"].append(pg_loss.detach())
                logs["entropy"].append(entropy.detach())
            _check_finite(loss_name, loss)
            for _, opt, _ in fitted:
                opt.zero_grad()
            loss.backward()
            for _, opt, params in fitted:
                torch.nn.utils.clip_grad_norm_(params, ppo.max_grad_norm)
                opt.step()
    return {key: torch.stack(v).mean().item() if v else None for key, v in logs.items()}


def update(
    student: ActorCritic,
    actor_opt: torch.optim.Optimizer,
    critic_opt: torch.optim.Optimizer,
    S: Rollout,
    S_tilde: Rollout | None,
    beta_k: float,
    ins_coef_k: float,
    sc: Scenario,
) -> dict[str, float | None]:
    """REPAINT steps 3-5 of one iteration on the collected S (and S~ in modes it and repaint).

    ``beta_k`` weighs the kickstarting cross-entropy on S, ``ins_coef_k`` the instance-transfer loss on
    the selected S~ (alpha2 / alpha1).
    """
    ppo, transfer = sc.ppo, sc.transfer
    # 3. advantages of S under V before the update, then fit the critic on S only
    adv, returns = advantages_of(student, S, ppo)
    batch = S.flat(advantages=adv, returns=returns)
    if S_tilde is None:  # no A~ to wait for: critic and actor share the minibatch epochs
        return minibatch_epochs(student, batch, None, beta_k, ppo, 0.0, critic_opt, actor_opt)
    value_loss = minibatch_epochs(student, batch, None, 0.0, ppo, 0.0, critic_opt, None)["value_loss"]
    # 4. A~ under the fitted critic, in the student's advantage units; advantage-based selection
    adv_teacher, _ = advantages_of(student, S_tilde, ppo)
    batch_tilde = S_tilde.flat(advantages=adv_teacher)
    if ppo.norm_adv:
        batch_tilde["advantages"] = repaint.adv_in_student_units(
            batch_tilde["advantages"], batch["advantages"], transfer.adv_teacher_norm
        )
    keep = repaint.select(batch_tilde["advantages"], transfer.selection)
    adv_teacher_mean = batch_tilde["advantages"].mean().item() if len(keep) else None
    selected_frac = keep.float().mean().item() if len(keep) else 0.0
    batch_tilde = {key: x[keep] for key, x in batch_tilde.items()}
    if transfer.ins_mean == "all":  # mean over all of S~, removed samples counting as zero
        ins_coef_k *= selected_frac
    # 5. actor update on S (+ beta_k CE) and on the selected S~ (L_ins)
    stats = minibatch_epochs(student, batch, batch_tilde, beta_k, ppo, ins_coef_k, None, actor_opt)
    return stats | {
        "value_loss": value_loss,
        "selected_frac": selected_frac,
        "adv_teacher_mean": adv_teacher_mean,
        "ins_coef": ins_coef_k,
    }


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    # its 1 s here is importing torch._dynamo, which torch.optim's constructors import anyway (torch 2.13)
    torch.use_deterministic_algorithms(True)


def train(
    sc: Scenario,
    run_dir: Path,
    resume: bool = False,
    progress: bool = True,
    command: str | None = None,
    label: str = "",
    overwrite: bool = False,
    allow_changed: list[str] | None = None,
) -> RunResult:
    """Train the scenario's student in ``run_dir`` (resuming from its checkpoint if asked).

    ``command`` is recorded in the run's card as the way to re-make it (a teacher's recipe). With
    ``progress``, each iteration is reported on standard output (``repaint_ma.progress``), its line
    headed by ``label`` and the run's scenario, mode and seed. The run holds ``run_dir``'s lock
    throughout; a new run refuses a dir holding one unless ``overwrite``; a resume refuses a scenario
    that differs from the stored one except in the keys of ``allow_changed`` (recorded in metrics.csv).

    Raises:
        TrainingDiverged: a loss became NaN or infinite (the message names the iteration and checkpoint).
        UsageError: the run dir is in use, holds another run, or does not match the resumed scenario.
        WriteError: the run dir cannot be written.
    """
    with RunDirLock(run_dir):
        changes = rundir.prepare(run_dir, sc.to_dict(), resume, overwrite, allow_changed or [])
        return _train(sc, run_dir, resume, progress, command, label, changes)


def _train(
    sc: Scenario, run_dir: Path, resume: bool, progress: bool, command: str | None, label: str, changes: str
) -> RunResult:
    ppo, tr, mode = sc.ppo, sc.train, sc.transfer.mode
    seed_everything(tr.seed)
    vec = make_vec(sc, ppo.num_envs)
    eval_vec = make_vec(sc, tr.eval_episodes, autoreset=False)
    student = ActorCritic(vec.obs_dim, vec.action_space, ppo.hidden, ppo.norm_obs, ppo.init_log_std)
    # fused Adam: one kernel per step instead of a Python loop over tensors (about 20% faster here)
    actor_opt = torch.optim.Adam(student.actor_parameters(), lr=ppo.lr, eps=1e-5, fused=True)
    critic_opt = torch.optim.Adam(student.critic.parameters(), lr=ppo.lr, eps=1e-5, fused=True)
    teacher = load_scenario_teacher(sc, vec) if mode != "baseline" else None

    start, env_steps, wall_before = _resume(run_dir, student, actor_opt, critic_opt) if resume else (1, 0, 0.0)
    log = MetricsLog(run_dir, last_iteration=start - 1)
    # episodes restart at each (re)start; the seeds depend on where the run (re)starts
    vec.reset(stream_seed(tr.seed, start, "student"))
    num_steps = ppo.steps_per_iteration // ppo.num_envs
    teacher_rollouts = _teacher_rollouts(sc, teacher, student, start) if mode in ("it", "repaint") else None
    t_start = time.time() - wall_before
    title = f"{label}{sc.name} {mode} s{tr.seed}"
    bar = IterationProgress(title, tr.iterations, start - 1) if progress else None
    for k in range(start, tr.iterations + 1):
        t_iter = time.time()
        if ppo.anneal_lr:
            for opt in (actor_opt, critic_opt):
                opt.param_groups[0]["lr"] = ppo.lr * (1.0 - (k - 1) / tr.iterations)
        beta = repaint.weight_k(sc.transfer.beta, k) if mode in ("ks", "repaint") else 0.0
        ins_coef = repaint.weight_k(sc.transfer.ins_coef, k) if mode in ("it", "repaint") else 0.0
        # 1. S: student rollouts (teacher's distribution stored for the KS term)
        S = collect(vec, num_steps, student, teacher if beta > 0 else None, update_obs_norm=ppo.norm_obs)
        # 2. S~: teacher rollouts in the target env, rewards under the target reward
        S_tilde = teacher_rollouts.next(student) if teacher_rollouts else None
        # 3-5. critic on S, selection of S~, actor on S and the selected S~
        try:
            stats = update(student, actor_opt, critic_opt, S, S_tilde, beta, ins_coef, sc)
        except TrainingDiverged as err:
            raise TrainingDiverged(
                f"{err} at iteration {k}; stopped. The last good checkpoint is {run_dir / 'checkpoint.pt'} "
                "(lower ppo.lr or raise ppo.max_grad_norm clipping)"
            ) from None

        env_steps += num_steps * ppo.num_envs
        score = None
        if k % tr.eval_every == 0 or k == tr.iterations:
            score = float(np.mean(evaluate(student, eval_vec, tr.seed, tr.eval_deterministic)))
        train_scores = vec.finished_scores[-20:]
        vec.finished_scores.clear()
        row = {
            "iteration": k,
            "env_steps": env_steps,
            "agent_samples": int(S.valid.sum()),
            "teacher_steps": teacher_rollouts.num_steps * ppo.num_envs if teacher_rollouts else 0,
            "score": score,
            "train_score": float(np.mean(train_scores)) if train_scores else None,
            "beta": beta,
            "selected_frac": None,  # these three set by stats in modes with S~
            "adv_teacher_mean": None,
            "ins_coef": None,
            **stats,
            "sps": num_steps * ppo.num_envs / (time.time() - t_iter),
            "wall_s": time.time() - t_start,
            "changed": changes if k == start else None,
        }
        log.write(row)
        if k % tr.checkpoint_every == 0 or k == tr.iterations:
            _save(run_dir, student, actor_opt, critic_opt, k, env_steps, row["wall_s"])
        if bar is not None:
            bar.update(k, row)
    if bar is not None:
        bar.close()
    log.close()
    for v in (vec, eval_vec, teacher_rollouts):
        if v is not None:
            v.close()
    command = command or f"repaint run {sc.source} --mode {sc.transfer.mode} --seed {sc.train.seed} --run-dir {run_dir}"
    return _finish(sc, run_dir, log.rows, student, command)


def _teacher_rollouts(sc: Scenario, teacher: Teacher, student: ActorCritic, start: int) -> TeacherRollouts:
    """S~'s collector for a run (re)started at iteration ``start``, with its own env and sampling seeds."""
    ppo, seed = sc.ppo, sc.train.seed
    ahead = sc.transfer.teacher_ahead  # the S~ process is itself the worker: its envs step in it
    teacher_sc = dataclasses.replace(sc, ppo=dataclasses.replace(ppo, workers=0, backend="local")) if ahead else sc
    return TeacherRollouts(
        lambda: make_vec(teacher_sc, ppo.num_envs),
        teacher,
        student,
        max(1, sc.transfer.teacher_steps // ppo.num_envs),
        reset_seed=stream_seed(seed, start, "teacher_envs"),
        ahead=ahead,
        torch_seed=stream_seed(seed, start, "teacher_sampling"),
    )


def _resume(
    run_dir: Path, student: ActorCritic, actor_opt: torch.optim.Optimizer, critic_opt: torch.optim.Optimizer
) -> tuple[int, int, float]:
    """Load ``run_dir``'s checkpoint (if any) into the student, optimisers and RNGs; returns the iteration to
    start at, the env steps and the wall time so far."""
    state = load_checkpoint(run_dir)
    if state is None:
        return 1, 0, 0.0
    try:
        student.load_state_dict(state["model"])
        actor_opt.load_state_dict(state["actor_opt"])
        critic_opt.load_state_dict(state["critic_opt"])
    except (KeyError, ValueError, RuntimeError) as err:  # e.g. ppo.hidden or the env changed (--allow-changed)
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UsageError(f"{run_dir / 'checkpoint.pt'}: does not fit the scenario's network ({first})") from None
    set_rng_state(state["rng"])
    return state["iteration"] + 1, state["env_steps"], state["wall_s"]


def _save(
    run_dir: Path,
    student: ActorCritic,
    actor_opt: torch.optim.Optimizer,
    critic_opt: torch.optim.Optimizer,
    k: int,
    env_steps: int,
    wall_s: float,
) -> None:
    """The checkpoint after iteration ``k`` (what ``_resume`` reads) and the policy file, each atomically."""
    state = {
        "iteration": k,
        "env_steps": env_steps,
        "wall_s": wall_s,
        "model": student.state_dict(),
        "actor_opt": actor_opt.state_dict(),
        "critic_opt": critic_opt.state_dict(),
    }
    save_checkpoint(run_dir, state)
    save_policy(student, run_dir / "policy.pt")


def _finish(sc: Scenario, run_dir: Path, rows: list[dict[str, Any]], student: ActorCritic, command: str) -> RunResult:
    evals = [(int(r["iteration"]), r["score"]) for r in rows if r.get("score") is not None]
    its, scores = [i for i, _ in evals], [s for _, s in evals]
    target = sc.train.target_score
    K = iterations_to_target(its, scores, target, sc.train.smooth) if target is not None else None
    final = float(np.mean(scores[-sc.train.smooth :])) if scores else None
    wall = float(rows[-1]["wall_s"]) if rows else 0.0
    plot_curve(rows, run_dir / "curve.png", f"{sc.name} ({sc.transfer.mode}, seed {sc.train.seed})", target)
    card = {
        "scenario": sc.name,
        "env": {"id": sc.env.id, "kwargs": sc.env_kwargs},
        "observation_shape": [student.config["obs_dim"]],
        "action_space": str(student.config["action_space"]),
        "mode": sc.transfer.mode,
        "seed": sc.train.seed,
        "iterations": len(rows),
        "env_steps": int(rows[-1]["env_steps"]) if rows else 0,
        "score": final,
        "score_means": score_means(sc),
        "K": K,
        "wall_s": round(wall, 1),
        "command": command,
    }
    (run_dir / "card.yaml").write_text(yaml.safe_dump(card, sort_keys=False))
    return RunResult(run_dir, its, scores, K, final, wall, score_means(sc))

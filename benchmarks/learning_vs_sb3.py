"""Sample efficiency: our baseline PPO beside Stable-Baselines3's PPO, same env, budget and settings.

    python -m benchmarks.learning_vs_sb3 --envs cartpole pendulum --seeds 0 1 2
    python -m benchmarks.learning_vs_sb3 --envs ant --seeds 0 --steps 1000000
    python -m benchmarks.learning_vs_sb3 --report      # summary.json, curves and the README table only

Each (env, contender, seed, steps) is one record, ``results/baseline_quality/records/ENV/CONTENDER-seedS-
stepsN.json`` (curve, final score, wall time, the settings, the command and the git commit); a finished
record is skipped, so a run can be stopped and re-started (ours also resumes its run dir in ``runs/``).
Settings: the scenario file of each env (``SCENARIOS``) in baseline mode, its budget unless ``--steps``;
SB3 gets them through ``train_throughput.sb3_ppo_kwargs`` (the one mapping, with what has no equivalent)
and the env through ``train_throughput.sb3_vec`` (SuperSuit, as the throughput benchmark).
Evaluation alike: SB3's policy plays our evaluation episodes (``rollout.evaluate``: the same seeds, the
scenario's ``train.eval_deterministic``, ``train.eval_episodes``) at the same iterations
(``train.eval_every`` and the last), and the final score is the mean of the last ``train.smooth``
evaluations for both.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from benchmarks.train_throughput import sb3_ppo_kwargs, sb3_vec
from repaint_ma import scenario
from repaint_ma.learner import score_means, seed_everything, train
from repaint_ma.rollout import evaluate
from repaint_ma.runlog import code_commit, iterations_to_target, short_commit
from repaint_ma.scenario import Scenario
from repaint_ma.workers import make_vec

SCENARIOS = {
    "cartpole": "scenarios/classic/cartpole.yaml",
    "pendulum": "scenarios/classic/pendulum.yaml",
    "reacher": "scenarios/mujoco/reacher_similar.yaml",
    "ant": "scenarios/mujoco/ant_similar.yaml",
    "racing": "scenarios/racing/single-car.yaml",
}
CONTENDERS = ("ours", "sb3")
OUT = Path("results/baseline_quality")
IMG = Path("docs/img")


def load(env: str, seed: int, steps: int | None) -> Scenario:
    """The env's scenario in baseline mode with ``seed``; ``steps`` (env steps) sets the iterations."""
    overrides: dict[str, Any] = {"transfer.mode": "baseline", "train.seed": seed}
    sc = scenario.load(SCENARIOS[env], overrides)
    if steps is not None:
        overrides["train.iterations"] = max(1, steps // sc.ppo.steps_per_iteration)
        sc = scenario.load(SCENARIOS[env], overrides)
    return sc


def budget(sc: Scenario) -> int:
    """Env steps of the whole run."""
    return sc.train.iterations * sc.ppo.steps_per_iteration


class SB3Policy:
    """SB3's policy acting through our evaluation path: raw observations normalised with VecNormalize's
    statistics (read, not updated), actions as SB3 acts (a Box action clipped to the bounds, as SB3 does
    before stepping). Action masks are ignored: SB3's PPO has none (it trains behind ``EveryAgentView``)."""

    def __init__(self, model: Any, vec: Any) -> None:
        self.model, self.vec = model, vec
        space = model.action_space
        self.bounds = (
            (torch.as_tensor(space.low), torch.as_tensor(space.high)) if isinstance(space, spaces.Box) else None
        )

    @torch.no_grad()
    def act_raw(
        self, raw_obs: torch.Tensor, mask: torch.Tensor | None = None, deterministic: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        obs = raw_obs.numpy()
        if hasattr(self.vec, "normalize_obs"):
            obs = self.vec.normalize_obs(obs)
        dist = self.model.policy.get_distribution(torch.as_tensor(obs, dtype=torch.float32))
        action = dist.get_actions(deterministic=deterministic)
        logprob = dist.log_prob(action)
        if self.bounds is not None:
            action = action.clamp(*self.bounds)
        return action, logprob


def run_ours(sc: Scenario, run_dir: Path) -> tuple[list[tuple[int, float]], float]:
    """Our learner on the scenario (resuming ``run_dir``); returns the curve (env steps, score) and wall s."""
    command = shlex.join(["repaint", "run", sc.source, "--mode", "baseline", "--seed", str(sc.train.seed)])
    if "train.iterations" in sc.overrides:
        command += f" --set train.iterations={sc.train.iterations}"
    res = train(sc, run_dir, resume=True, progress=False, command=command)
    curve = [(k * sc.ppo.steps_per_iteration, s) for k, s in zip(res.iterations, res.scores, strict=True)]
    return curve, res.wall_s


def run_sb3(sc: Scenario) -> tuple[list[tuple[int, float]], float]:
    """SB3's PPO on the scenario's env and settings, evaluated by our evaluation path at the iterations
    where ours evaluates; returns the curve (env steps, score) and wall s (training and evaluation)."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback

    tr = sc.train
    seed_everything(tr.seed)
    vec, slots = sb3_vec(sc)
    model = PPO("MlpPolicy", vec, device="cpu", verbose=0, seed=tr.seed, **sb3_ppo_kwargs(sc))
    eval_vec = make_vec(sc, tr.eval_episodes, autoreset=False)
    if eval_vec.obs_dim != vec.observation_space.shape[0]:
        raise SystemExit(f"{sc.env.id}: SB3 sees {vec.observation_space.shape} observations, ours {eval_vec.obs_dim}")
    policy = SB3Policy(model, vec)
    per_iteration = sc.ppo.steps_per_iteration * slots  # SB3 timesteps of one iteration
    curve: list[tuple[int, float]] = []

    def score(k: int) -> None:
        curve.append(
            (k * sc.ppo.steps_per_iteration, float(np.mean(evaluate(policy, eval_vec, tr.seed, tr.eval_deterministic))))
        )

    class EvalEvery(BaseCallback):
        def _on_rollout_start(self) -> None:  # after iteration k's update, before k + 1's rollout
            k = self.num_timesteps // per_iteration
            if k > 0 and k % tr.eval_every == 0:
                score(k)

        def _on_step(self) -> bool:
            return True

    t0 = time.time()
    model.learn(total_timesteps=tr.iterations * per_iteration, callback=EvalEvery())
    if not curve or curve[-1][0] != budget(sc):
        score(tr.iterations)
    wall = time.time() - t0
    vec.close()
    eval_vec.close()
    return curve, wall


def record_path(env: str, contender: str, seed: int, steps: int) -> Path:
    return OUT / "records" / env / f"{contender}-seed{seed}-steps{steps}.json"


def run_one(env: str, contender: str, seed: int, steps: int | None) -> dict[str, Any]:
    """Train one contender on one seed (or read its finished record) and write its record."""
    sc = load(env, seed, steps)
    path = record_path(env, contender, seed, budget(sc))
    if path.is_file():
        return json.loads(path.read_text())
    step_arg = f" --steps {steps}" if steps is not None else ""
    if contender == "ours":
        curve, wall = run_ours(sc, Path("runs/baseline_quality") / env / f"ours-seed{seed}-steps{budget(sc)}")
        settings: dict[str, Any] = sc.to_dict()
    else:
        curve, wall = run_sb3(sc)
        kwargs = sb3_ppo_kwargs(sc)
        kwargs["learning_rate"] = f"{sc.ppo.lr} linear (as ours)" if sc.ppo.anneal_lr else sc.ppo.lr
        kwargs["policy_kwargs"]["activation_fn"] = "Tanh"
        settings = {
            "sb3_ppo": kwargs,
            "num_envs": sc.ppo.num_envs,
            "norm_obs": sc.ppo.norm_obs,
            "scenario": sc.to_dict(),
        }
    import stable_baselines3

    rec = {
        "env": env,
        "env_id": sc.env.id,
        "contender": contender,
        "seed": seed,
        "steps": budget(sc),
        "iterations": sc.train.iterations,
        "final": float(np.mean([s for _, s in curve[-sc.train.smooth :]])),
        "final_means": score_means(sc),
        "curve": curve,
        "wall_s": round(wall, 1),
        "settings": settings,
        "command": f"python -m benchmarks.learning_vs_sb3 --envs {env} --seeds {seed} --contenders {contender}"
        + step_arg,
        "commit": code_commit(),
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, torch 1 thread",
        "versions": {"torch": torch.__version__, "stable_baselines3": stable_baselines3.__version__},
        "date": time.strftime("%Y-%m-%d"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rec, indent=1))
    tmp.replace(path)
    return rec


def records() -> dict[str, dict[int, list[dict[str, Any]]]]:
    """Every finished record, by env and budget."""
    out: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for f in sorted((OUT / "records").glob("*/*.json")):
        rec = json.loads(f.read_text())
        out.setdefault(rec["env"], {}).setdefault(rec["steps"], []).append(rec)
    return out


def summarize() -> dict[str, Any]:
    """``summary.json`` (per env, at its largest budget with records: finals per seed of both contenders),
    one curves PNG per env, and the README table on standard output."""
    summary: dict[str, Any] = {}
    rows = []
    for env, by_steps in records().items():
        steps = max(by_steps)
        recs = sorted(by_steps[steps], key=lambda r: (r["contender"], r["seed"]))
        entry: dict[str, Any] = {c: [r["final"] for r in recs if r["contender"] == c] for c in CONTENDERS}
        entry |= {"seeds": {c: [r["seed"] for r in recs if r["contender"] == c] for c in CONTENDERS}, "steps": steps}
        summary[env] = entry
        plot(env, steps, recs)
        rows.append(table_row(env, steps, recs))
    (OUT / "summary.json").write_text(json.dumps(summary, indent=1))
    head = ["env", "env steps", "seeds", "ours (mean ± std)", "SB3 PPO (mean ± std)", "ours >= SB3 - 1 std",
            "env steps to target, ours / SB3", "wall s per run, ours / SB3", "commit"]  # fmt: skip
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    print("\n".join(rows))
    return summary


def mean_std(xs: list[float]) -> tuple[float, float]:
    return (float(np.mean(xs)), float(np.std(xs))) if xs else (float("nan"), float("nan"))


def table_row(env: str, steps: int, recs: list[dict[str, Any]]) -> str:
    by = {c: [r for r in recs if r["contender"] == c] for c in CONTENDERS}
    (mo, so), (ms, ss) = (mean_std([r["final"] for r in by[c]]) for c in CONTENDERS)
    passed = "yes" if mo >= ms - ss else f"no (short by {ms - ss - mo:.1f})"
    seeds = ", ".join(f"{c} {len(by[c])}" for c in CONTENDERS)
    walls = " / ".join(f"{np.mean([r['wall_s'] for r in by[c]]):.0f}" if by[c] else "-" for c in CONTENDERS)
    commits = ", ".join(sorted({short_commit(r["commit"]) for r in recs}))
    cells = [f"{env} ({recs[0]['env_id']})", f"{steps:,}", seeds, f"{mo:.1f} ± {so:.1f}", f"{ms:.1f} ± {ss:.1f}",
             passed, " / ".join(steps_to_target(env, by[c]) for c in CONTENDERS), walls, commits]  # fmt: skip
    return "| " + " | ".join(cells) + " |"


def steps_to_target(env: str, recs: list[dict[str, Any]]) -> str:
    """Mean env steps until the smoothed evaluation score first reaches the scenario's ``train.target_score``
    (as K, ``runlog.iterations_to_target``), and how many seeds never did."""
    tr = load(env, 0, None).train
    if tr.target_score is None or not recs:
        return "-"
    hits = []
    for r in recs:
        xs, scores = zip(*r["curve"], strict=True)
        hits.append(iterations_to_target(xs, scores, tr.target_score, tr.smooth))
    reached = [h for h in hits if h is not None]
    text = f"{np.mean(reached):,.0f}" if reached else "never"
    missed = len(hits) - len(reached)
    return text + (f" ({missed}/{len(hits)} never)" if missed and reached else "")


def plot(env: str, steps: int, recs: list[dict[str, Any]]) -> None:
    """Evaluation score against env steps: each seed thin, the mean over seeds thick, both contenders."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for c, color, label in (
        ("ours", "tab:blue", "ours (baseline PPO)"),
        ("sb3", "tab:orange", "Stable-Baselines3 PPO"),
    ):
        curves = [np.asarray(r["curve"], dtype=float) for r in recs if r["contender"] == c]
        for xy in curves:
            ax.plot(xy[:, 0], xy[:, 1], color=color, alpha=0.25, lw=0.8)
        if curves:
            n = min(len(xy) for xy in curves)
            mean = np.mean([xy[:n, 1] for xy in curves], axis=0)
            ax.plot(curves[0][:n, 0], mean, color=color, lw=2, label=f"{label}, mean of {len(curves)} seeds")
    ax.set_xlabel("env steps")
    ax.set_ylabel(f"score ({recs[0]['final_means'].split(',')[0]})")
    ax.set_title(f"{env}: ours vs SB3 PPO, same settings, {steps:,} env steps")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    IMG.mkdir(parents=True, exist_ok=True)
    fig.savefig(IMG / f"baseline-quality-{env}.png", dpi=100)
    plt.close(fig)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--envs", nargs="+", choices=sorted(SCENARIOS), default=["cartpole", "pendulum"])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--contenders", nargs="+", choices=CONTENDERS, default=list(CONTENDERS))
    p.add_argument("--steps", type=int, default=None, help="env steps per run (default: the scenario's budget)")
    p.add_argument("--report", action="store_true", help="only summary.json, the curves and the README table")
    args = p.parse_args()
    code_commit()  # the commit when the process started: edits made while it runs do not change its records
    if not args.report:
        for env in args.envs:
            for seed in args.seeds:
                for contender in args.contenders:
                    rec = run_one(env, contender, seed, args.steps)
                    print(f"{env} {contender} seed {seed}: final {rec['final']:.1f} ({rec['wall_s']} s)", flush=True)
    summarize()


if __name__ == "__main__":
    print("$", shlex.join([sys.executable.split("/")[-1], *sys.argv]), flush=True)
    main()

"""Training throughput: our learner (baseline and repaint modes) beside Stable-Baselines3 PPO
and a raw env-stepping loop, same env, same PPO settings, one process, one run each.

    python benchmarks/train_throughput.py --env classic/CartPole-v1 --iterations 10 --json

``--workers N`` steps the envs in N worker processes for every contender (ours: ``ppo.workers``,
SB3: SuperSuit's ``num_cpus``, raw: the learner's vector). SB3 gets the multi-agent env through
SuperSuit's pettingzoo -> SB3 vector env and
VecNormalize (observations only), matching our running observation normalisation.
steps/s counts env steps (one vector step of E envs = E steps) over wall time, training
updates included, our periodic evaluation excluded (one evaluation at the end).
``repaint_cost_ratio`` is seconds per REPAINT iteration over seconds per baseline iteration, both
with the same student steps; REPAINT also steps the teacher in ``repaint_teacher_steps_per_iteration``
more env steps, and ``repaint_cost_ratio_per_env_step`` divides that extra stepping out.
``repaint_ahead_*``: the same REPAINT run with ``transfer.teacher_ahead`` (S~ collected one iteration
ahead in a second process).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from gymnasium import spaces

import envs
from repaint_ma.learner import make_vec, train
from repaint_ma.networks import ActorCritic, save_policy
from repaint_ma.scenario import Scenario, from_dict


def scenario_for(env_id: str, iterations: int, num_envs: int, steps: int, workers: int = 0) -> Scenario:
    ppo = {"steps_per_iteration": steps, "num_envs": num_envs, "epochs": 10, "minibatch": 256, "workers": workers}
    return from_dict(
        {
            "name": "throughput",
            "env": {"id": env_id},
            "ppo": ppo,
            "train": {"iterations": iterations, "eval_every": iterations, "eval_episodes": 1},
        }
    )


def ours_sps(sc: Scenario, tmp: Path) -> tuple[float, float]:
    """(env steps/s, seconds per iteration) of ``repaint run`` in the scenario's mode."""
    res = train(sc, tmp / f"run-{sc.transfer.mode}", progress=False)
    steps = sc.train.iterations * sc.ppo.steps_per_iteration
    return steps / res.wall_s, res.wall_s / sc.train.iterations


def repaint_scenario(sc: Scenario, tmp: Path, ahead: bool = False) -> Scenario:
    """The same scenario in repaint mode, with an untrained teacher of the right spaces (and S~
    collected ahead in a second process with ``ahead``)."""
    vec = make_vec(sc, 1)
    teacher_dir = tmp / "teacher"
    teacher_dir.mkdir(exist_ok=True)
    save_policy(ActorCritic(vec.obs_dim, vec.action_space, sc.ppo.hidden), teacher_dir / "policy.pt")
    vec.close()
    return from_dict(
        sc.to_dict(),
        overrides={
            "transfer.mode": "repaint",
            "teacher": {"path": str(teacher_dir)},
            "transfer.teacher_steps": sc.ppo.steps_per_iteration // 2,
            "transfer.teacher_ahead": ahead,
        },
    )


def raw_sps(sc: Scenario, total_steps: int) -> float:
    """Random legal actions through the learner's vector of envs (``make_vec``), no learner."""
    vec = make_vec(sc, sc.ppo.num_envs)
    vec.reset(0)
    rng = np.random.default_rng(0)
    space = vec.action_space
    t0 = time.time()
    for _ in range(total_steps // sc.ppo.num_envs):
        if vec.has_mask:
            logits = np.where(vec.masks, rng.random(vec.masks.shape), -1.0)
            actions = logits.argmax(1)
        else:
            actions = np.stack([space.sample() for _ in range(vec.num_slots)])
        vec.step(actions)
    return total_steps / (time.time() - t0)


def sb3_unsupported(sc: Scenario) -> str | None:
    """Why SB3 PPO cannot run this env through SuperSuit's vector env (None if it can)."""
    env = envs.make(sc.env.id, **sc.env_kwargs)
    env.reset(seed=0)
    late = len(env.agents) < len(env.possible_agents)
    masked = isinstance(env.observation_space(env.possible_agents[0]), spaces.Dict)
    env.close()
    if late:
        return "agents join after reset (SuperSuit's vector env needs every possible agent from the start)"
    if masked:
        return "dict observation with an action mask (SB3's PPO has no action masks)"
    return None


def sb3_sps(sc: Scenario, total_steps: int) -> float:
    import supersuit as ss
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

    ppo = sc.ppo
    vec = ss.pettingzoo_env_to_vec_env_v1(envs.make(sc.env.id, **sc.env_kwargs))
    vec = ss.concat_vec_envs_v1(vec, ppo.num_envs, num_cpus=ppo.workers, base_class="stable_baselines3")
    vec = VecNormalize(VecMonitor(vec), norm_reward=False)
    model = PPO(
        "MlpPolicy",
        vec,
        n_steps=ppo.steps_per_iteration // vec.num_envs,
        batch_size=ppo.minibatch,
        n_epochs=ppo.epochs,
        learning_rate=ppo.lr,
        gamma=ppo.gamma,
        gae_lambda=ppo.gae_lambda,
        clip_range=ppo.clip,
        ent_coef=ppo.ent_coef,
        vf_coef=ppo.vf_coef,
        max_grad_norm=ppo.max_grad_norm,
        policy_kwargs={"net_arch": {"pi": ppo.hidden, "vf": ppo.hidden}, "activation_fn": torch.nn.Tanh},
        device="cpu",
        verbose=0,
    )
    t0 = time.time()
    model.learn(total_timesteps=total_steps)
    return model.num_timesteps / (time.time() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env", default="classic/CartPole-v1")
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--num-envs", type=int, default=4)
    p.add_argument("--steps", type=int, default=2048, help="env steps per iteration")
    p.add_argument("--workers", type=int, default=0, help="env worker processes for every contender (SB3: num_cpus)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(1)
    sc = scenario_for(args.env, args.iterations, args.num_envs, args.steps, args.workers)
    total = args.iterations * args.steps
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        baseline, base_iter_s = ours_sps(sc, tmp)
        repaint, repaint_iter_s = ours_sps(repaint_scenario(sc, tmp), tmp)
        ahead, ahead_iter_s = ours_sps(repaint_scenario(sc, tmp, ahead=True), tmp / "ahead")
    sb3_skipped = sb3_unsupported(sc)
    out = {
        "env": args.env,
        "num_envs": args.num_envs,
        "workers": args.workers,
        "env_steps": total,
        "sb3_sps": None if sb3_skipped else sb3_sps(sc, total),
        "sb3_skipped": sb3_skipped,
        "baseline_sps": baseline,
        "repaint_sps": repaint,
        "repaint_ahead_sps": ahead,
        "raw_sps": raw_sps(sc, total),
        "repaint_teacher_steps_per_iteration": args.steps // 2,
    }
    out["ratio_vs_sb3"] = out["baseline_sps"] / out["sb3_sps"] if out["sb3_sps"] else None
    out["learner_efficiency"] = out["baseline_sps"] / out["raw_sps"]
    out["repaint_cost_ratio"] = repaint_iter_s / base_iter_s
    out["repaint_ahead_cost_ratio"] = ahead_iter_s / base_iter_s
    # the same ratio per env step collected: a REPAINT iteration also steps the teacher's envs
    teacher_share = out["repaint_teacher_steps_per_iteration"] / args.steps
    out["repaint_cost_ratio_per_env_step"] = out["repaint_cost_ratio"] / (1.0 + teacher_share)
    if args.json:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}))
    else:
        for k, v in out.items():
            print(f"{k:>36}: {v:.3f}" if isinstance(v, float) else f"{k:>36}: {v}")


if __name__ == "__main__":
    main()

"""Training throughput: our learner (baseline and repaint modes) beside Stable-Baselines3 PPO
and a raw env-stepping loop, same env, same PPO settings, one process, one run each.

    python benchmarks/train_throughput.py --env classic/CartPole-v1 --iterations 10 --json

``--workers N`` steps the envs in N worker processes for every contender (ours: ``ppo.workers``,
SB3: SuperSuit's ``num_cpus``, raw: the learner's vector); ``--sample-in-workers`` lets our workers
roll whole rollouts with a copy of the policy (``ppo.sample_in_workers``) instead of a round trip
to the learner per step; ``--backend ray`` puts our workers and the raw loop's on a local Ray
(SB3 keeps SuperSuit's processes). SB3 gets the multi-agent env through
SuperSuit's pettingzoo -> SB3 vector env (behind ``EveryAgentView`` where agents join late or
observations carry an action mask) and VecNormalize (observations only), matching our running
observation normalisation.
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
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from pettingzoo import ParallelEnv
from pettingzoo.utils.wrappers import BaseParallelWrapper

import envs
from repaint_ma.learner import train
from repaint_ma.networks import ActorCritic, save_policy
from repaint_ma.scenario import Scenario, from_dict
from repaint_ma.workers import make_vec


def scenario_for(
    env_id: str,
    iterations: int,
    num_envs: int,
    steps: int,
    workers: int = 0,
    sample_in_workers: bool = False,
    backend: str = "local",
) -> Scenario:
    ppo = {"steps_per_iteration": steps, "num_envs": num_envs, "epochs": 10, "minibatch": 256, "workers": workers,
           "sample_in_workers": sample_in_workers, "backend": backend}  # fmt: skip
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
    sps = total_steps / (time.time() - t0)
    vec.close()
    return sps


class EveryAgentView(BaseParallelWrapper):
    """An env as SuperSuit's vector env (and so SB3) can take it: every possible agent from reset
    to the episode's end, the absent ones (not joined yet, or dead) with a zero observation and
    reward, as SuperSuit's ``black_death`` does for deaths only; a dict observation is cut to its
    ``observation`` Box, since SB3's PPO has no action masks (a masked action is a no-op here)."""

    def __init__(self, env: ParallelEnv) -> None:
        super().__init__(env)
        space = env.observation_space(env.possible_agents[0])
        self.masked = isinstance(space, spaces.Dict)
        self.box = space["observation"] if self.masked else space
        self.zeros = np.zeros(self.box.shape, self.box.dtype)

    def observation_space(self, agent: str) -> spaces.Box:
        return self.box

    def _full(self, obs: dict) -> dict:
        cut = {a: o["observation"] for a, o in obs.items()} if self.masked else obs
        return {a: cut.get(a, self.zeros) for a in self.possible_agents}

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        obs, infos = self.env.reset(seed=seed, options=options)
        self.agents = list(self.possible_agents)
        return self._full(obs), {a: infos.get(a, {}) for a in self.agents}

    def step(self, actions: dict) -> tuple[dict, dict, dict, dict, dict]:
        obs, rewards, _, truncs, infos = self.env.step({a: actions[a] for a in self.env.agents})
        done = not self.env.agents
        truncated = done and any(truncs.values())
        agents = self.agents
        if done:
            self.agents = []
        return (
            self._full(obs),
            {a: rewards.get(a, 0.0) for a in agents},
            {a: done and not truncated for a in agents},
            {a: truncated for a in agents},
            {a: infos.get(a, {}) for a in agents},
        )


def sb3_ppo_kwargs(sc: Scenario) -> dict[str, Any]:
    """Our scenario's PPO settings as Stable-Baselines3 ``PPO(...)`` keyword arguments (env and seed aside).

    Equal by construction: networks (separate actor and critic MLPs of ``ppo.hidden``, tanh, orthogonal
    init with gains sqrt(2) / 0.01 / 1, Adam eps 1e-5: SB3's defaults and ours), rollout length per env,
    epochs, minibatch (the last one partial in both), gamma, lambda, clip, entropy, advantages normalised
    per minibatch, no value clipping, the state-independent log-std's initial value, and the lr schedule
    (ours: ``lr * (1 - (k - 1) / iterations)`` at iteration k; SB3 calls the schedule with
    ``1 - k / iterations`` there, so ``+ 1 / iterations`` gives the same value).
    Mapped with a change of units: SB3's value loss is the MSE, ours is half the MSE, so SB3's
    ``vf_coef`` is half of ours (the same loss).
    No equivalent (the differences that remain):
    - ours fits actor and critic with one Adam each, each gradient clipped to ``max_grad_norm`` on its
      own; SB3 has one Adam and clips the joint gradient;
    - ours updates the observation statistics once per iteration, after the rollout (the rollout acts on
      the previous statistics); VecNormalize (``sb3_vec``) updates them every step; both clip at 10;
    - ours sends a Gaussian sample to the env as drawn (the env clips: Pendulum, ``mujoco/`` with
      ``clip_actions``); SB3 clips it to the bounds before the env gets it;
    - ``ppo.agent_indicator``, ``ppo.workers`` and the evaluation settings are not PPO arguments: SB3's
      evaluation is ours (``benchmarks/learning_vs_sb3.py``), and SB3 counts one env per agent slot.
    """
    ppo, iterations = sc.ppo, sc.train.iterations
    lr = ppo.lr

    def schedule(progress_remaining: float) -> float:
        return lr * min(1.0, progress_remaining + 1.0 / iterations)

    return {
        "n_steps": ppo.steps_per_iteration // ppo.num_envs,
        "batch_size": ppo.minibatch,
        "n_epochs": ppo.epochs,
        "learning_rate": schedule if ppo.anneal_lr else lr,
        "gamma": ppo.gamma,
        "gae_lambda": ppo.gae_lambda,
        "clip_range": ppo.clip,
        "clip_range_vf": None,
        "normalize_advantage": ppo.norm_adv,
        "ent_coef": ppo.ent_coef,
        "vf_coef": ppo.vf_coef * 0.5,
        "max_grad_norm": ppo.max_grad_norm,
        "policy_kwargs": {
            "net_arch": {"pi": list(ppo.hidden), "vf": list(ppo.hidden)},
            "activation_fn": torch.nn.Tanh,
            "ortho_init": True,
            "log_std_init": ppo.init_log_std,
        },
    }


def truncation_info(vec: Any) -> Any:
    """SuperSuit's gymnasium-style vector env as SB3's, with ``info["TimeLimit.truncated"]`` set where an
    episode was cut by its time limit, so SB3 bootstraps V(s') there as ours does (SuperSuit's own SB3
    wrapper folds truncation into ``done`` and drops it, so SB3 would treat it as a termination)."""
    from supersuit.vector.sb3_vector_wrapper import SB3VecEnvWrapper

    class TruncationInfo(SB3VecEnvWrapper):
        seeds: int | None = None

        def seed(self, seed: int | None = None) -> list[int | None]:  # SB3's seed: for the next reset
            self.seeds = seed
            return [seed]

        def reset(self) -> np.ndarray:  # env e of the vector on seed + e (SuperSuit's ConcatVecEnv)
            obs, self.reset_infos = self.venv.reset(seed=self.seeds)
            self.seeds = None
            return obs

        def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict]]:
            obs, rewards, terms, truncs, infos = self.venv.step_wait()
            for i, info in enumerate(infos):
                info["TimeLimit.truncated"] = bool(truncs[i] and not terms[i])
            return obs, rewards, np.logical_or(terms, truncs), infos

    return TruncationInfo(vec)


def sb3_vec(sc: Scenario) -> tuple[Any, int]:
    """The scenario's env as SB3's vector env: SuperSuit's pettingzoo -> vector env of ``ppo.num_envs``
    copies (in ``ppo.workers`` processes), time-limit truncations marked (``TruncationInfo``) and, with
    ``ppo.norm_obs``, VecNormalize on observations only (clip 10, eps 1e-8 as ours); an env whose agents
    join late or carry an action mask goes through ``EveryAgentView``. Returns it and the agent slots of
    one env (SB3 timesteps per env step)."""
    import supersuit as ss
    from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

    ppo = sc.ppo
    env = envs.make(sc.env.id, **sc.env_kwargs)
    env.reset(seed=0)
    late = len(env.agents) < len(env.possible_agents)
    if late or isinstance(env.observation_space(env.possible_agents[0]), spaces.Dict):
        env = EveryAgentView(env)
    slots = len(env.possible_agents)
    vec = ss.pettingzoo_env_to_vec_env_v1(env)
    vec = ss.concat_vec_envs_v1(vec, ppo.num_envs, num_cpus=ppo.workers, base_class="gymnasium")
    vec = VecMonitor(truncation_info(vec))
    if ppo.norm_obs:
        vec = VecNormalize(vec, norm_obs=True, norm_reward=False, clip_obs=10.0, epsilon=1e-8, gamma=ppo.gamma)
    return vec, slots


def sb3_sps(sc: Scenario, total_steps: int) -> float:
    """Env steps/s of SB3's PPO (``sb3_vec``, ``sb3_ppo_kwargs``). SB3 counts one timestep per agent slot
    (every possible agent of every env), so env steps are its timesteps over the slots of one env."""
    from stable_baselines3 import PPO

    vec, slots = sb3_vec(sc)
    model = PPO("MlpPolicy", vec, device="cpu", verbose=0, **sb3_ppo_kwargs(sc))
    t0 = time.time()
    model.learn(total_timesteps=total_steps * slots)
    sps = model.num_timesteps / slots / (time.time() - t0)
    vec.close()  # SuperSuit's worker processes (num_cpus > 0) would otherwise keep this process from exiting
    return sps


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env", default="classic/CartPole-v1")
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--num-envs", type=int, default=4)
    p.add_argument("--steps", type=int, default=2048, help="env steps per iteration")
    p.add_argument("--workers", type=int, default=0, help="env worker processes for every contender (SB3: num_cpus)")
    p.add_argument("--sample-in-workers", action="store_true", help="ours: ppo.sample_in_workers (with --workers)")
    p.add_argument("--backend", choices=("local", "ray"), default="local", help="ours and raw: ppo.backend")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(1)
    sc = scenario_for(
        args.env, args.iterations, args.num_envs, args.steps, args.workers, args.sample_in_workers, args.backend
    )
    total = args.iterations * args.steps
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        baseline, base_iter_s = ours_sps(sc, tmp)
        repaint, repaint_iter_s = ours_sps(repaint_scenario(sc, tmp), tmp)
        ahead, ahead_iter_s = ours_sps(repaint_scenario(sc, tmp, ahead=True), tmp / "ahead")
    out = {
        "env": args.env,
        "num_envs": args.num_envs,
        "workers": args.workers,
        "sample_in_workers": args.sample_in_workers,
        "backend": args.backend,
        "env_steps": total,
        "sb3_sps": sb3_sps(sc, total),
        "baseline_sps": baseline,
        "repaint_sps": repaint,
        "repaint_ahead_sps": ahead,
        "raw_sps": raw_sps(sc, total),
        "repaint_teacher_steps_per_iteration": args.steps // 2,
    }
    out["ratio_vs_sb3"] = out["baseline_sps"] / out["sb3_sps"]
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

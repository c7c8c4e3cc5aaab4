"""Benchmarks of agents on the StarCraft II mini-games: ``repaint bench sc2``.

Runs, per mini-game, a random agent (uniform over unmasked actions) and the scripted agent of
``envs.sc2.scripted`` for ``--episodes`` fixed-seed episodes, and prints their mean scores beside the
published SC2LE figures (Vinyals et al., "StarCraft II: A New Challenge for Reinforcement Learning",
2017, Table 1: random, human average, grandmaster, and the best mean of the FullyConv agent). Every
row says where its number comes from: this project's results are labelled with the backend that
produced them ("built-in engine" for the NumPy engine), the published ones "StarCraft II (SC2LE)".

``evaluate(env, act, episodes, seed)`` plays any ``act(observations) -> actions`` callable; with
``--policy [NAME=]PATH`` (a run dir, its ``policy.pt``, or a teacher folder) trained agents are
played the same way, on the mini-game they were trained on, over the same seeds. Trained agents
sample from their policy (as during training); ``--deterministic`` takes the most likely action.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from envs.sc2 import units
from repaint_ma.errors import UsageError, check_flag

MINIGAMES = tuple(units.MINIGAMES)
# SC2LE (2017) Table 1, mean scores: random policy, human (DeepMind game tester), StarCraft
# GrandMaster, FullyConv (best mean over the 100 best of its runs)
SC2LE: dict[str, dict[str, float]] = {
    "MoveToBeacon": {"random": 1, "human": 26, "grandmaster": 28, "fullyconv": 26},
    "CollectMineralShards": {"random": 17, "human": 133, "grandmaster": 177, "fullyconv": 103},
    "FindAndDefeatZerglings": {"random": 4, "human": 46, "grandmaster": 61, "fullyconv": 45},
    "DefeatRoaches": {"random": 1, "human": 41, "grandmaster": 215, "fullyconv": 100},
    "DefeatZerglingsAndBanelings": {"random": 23, "human": 729, "grandmaster": 727, "fullyconv": 62},
}
SC2LE_ROWS = (
    ("random", "random (SC2LE)"),
    ("human", "human average (SC2LE)"),
    ("grandmaster", "grandmaster (SC2LE)"),
    ("fullyconv", "FullyConv, best mean (SC2LE)"),
)
BACKEND_LABELS = {"builtin": "built-in engine", "pysc2": "StarCraft II (PySC2)"}
AGENTS = ("random", "scripted")

Observations = dict[str, Any]


class PolicyAgent:
    """A trained entry as an ``act(observations) -> actions`` callable on its mini-game's ParallelEnv."""

    def __init__(self, name: str, path: str, deterministic: bool = False) -> None:
        import yaml

        from repaint_ma.networks import load_policy
        from repaint_ma.teacher import resolve_policy

        policy_file, meta = resolve_policy(path, f"--policy {path}")
        if meta is None:
            raise UsageError(f"--policy {path}: no config.yaml or card.yaml beside {policy_file}")
        config = yaml.safe_load(meta.read_text()) or {}
        env = config.get("env") or {}
        env_id = env.get("id", "") if isinstance(env, dict) else ""
        if not env_id.startswith("sc2/") or env_id.removeprefix("sc2/") not in MINIGAMES:
            raise UsageError(f"--policy {path}: trained on {env_id or 'an unknown env'!r}, not an SC2 mini-game")
        self.name, self.minigame, self.env_kwargs = name, env_id.removeprefix("sc2/"), env.get("kwargs") or {}
        self.agent_indicator = bool((config.get("ppo") or {}).get("agent_indicator", False))
        self.policy, _ = load_policy(policy_file)
        self.path, self.deterministic = path, deterministic

    def check(self, env: Any) -> None:
        """The policy's observation size must be the env's (plus the agent indicator it was trained with)."""
        agents = env.possible_agents
        want = env.observation_space(agents[0])["observation"].shape[0] + (len(agents) if self.agent_indicator else 0)
        if self.policy.config["obs_dim"] != want:
            raise UsageError(
                f"--policy {self.path}: observation size {self.policy.config['obs_dim']} does not match "
                f"sc2/{self.minigame}'s {want}"
            )
        self._index = {a: i for i, a in enumerate(agents)}

    def __call__(self, observations: Observations) -> dict[str, Any]:
        import numpy as np
        import torch

        agents = list(observations)
        obs = np.stack([observations[a]["observation"] for a in agents])
        if self.agent_indicator:
            obs = np.concatenate([obs, np.eye(len(self._index), dtype=np.float32)[[self._index[a] for a in agents]]], 1)
        mask = torch.as_tensor(np.stack([observations[a]["action_mask"] for a in agents])).bool()
        with torch.no_grad():
            action, _ = self.policy.act_raw(torch.as_tensor(obs), mask, self.deterministic)
        return dict(zip(agents, action.tolist(), strict=True))


def evaluate(env: Any, act: Callable[[Observations], dict[str, Any]], episodes: int, seed: int = 0) -> list[float]:
    """Scores of ``episodes`` episodes (seeds ``seed``, ``seed + 1``, ..) of ``act`` on the ParallelEnv ``env``.

    An episode's score is the sum over steps of the team reward (the agents' shared reward; the
    mean over agents for envs whose agents are rewarded apart). ``act.reset()``, when ``act`` has
    one, is called before each episode.
    """
    scores = []
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed + episode)
        if hasattr(act, "reset"):
            act.reset()
        score = 0.0
        while env.agents:
            obs, rewards, _, _, _ = env.step(act(obs))
            score += sum(rewards.values()) / len(rewards) if rewards else 0.0
        scores.append(score)
    return scores


def bench_sc2(
    backend: str,
    episodes: int,
    seed: int,
    maps: tuple[str, ...] = MINIGAMES,
    policies: tuple[PolicyAgent, ...] = (),
    record: Path | None = None,
) -> dict[str, dict]:
    """Random, scripted and trained (``policies``, each on its own mini-game) mean scores on each
    mini-game of ``maps``, with the SC2LE figures; with ``record``, each agent's first episode on each
    mini-game as the replay ``record/<MiniGame>-<agent>-seed<N>.gif`` (``row["replays"]``)."""
    import numpy as np
    import torch

    import envs
    from envs.sc2.scripted import scripted_or_random

    results = {}
    for name in maps:
        env = envs.make(f"sc2/{name}", backend=backend)
        if record is not None:
            from repaint_ma.apps.replay_sc2 import FrameRecorder, write_sc2_gif

            env.backend = recorder = FrameRecorder(env.backend)
        row: dict[str, Any] = {"backend": backend, "label": BACKEND_LABELS[backend], "episodes": episodes}
        players: list[tuple[str, Callable]] = [(kind, scripted_or_random(env, kind, seed)) for kind in AGENTS]
        for agent in policies:
            if agent.minigame == name:
                agent.check(env)
                players.append((agent.name, agent))
        row["agents"] = [kind for kind, _ in players]
        for kind, act in players:
            torch.manual_seed(seed)
            scores = evaluate(env, act, episodes, seed)
            row[kind], row[f"{kind}_std"] = float(np.mean(scores)), float(np.std(scores))
            row[f"{kind}_max"] = float(np.max(scores))
            if record is not None:
                path = record / f"{name}-{kind}-seed{seed}.gif"
                write_sc2_gif(recorder.episodes[-episodes], name, recorder.label, recorder.step_mul, path)
                row.setdefault("replays", {})[kind] = str(path)
        row["sc2le"] = SC2LE[name]
        env.close()
        results[name] = row
    return results


def markdown(results: dict[str, dict], seed: int) -> str:
    """One Markdown table per mini-game: this run's agents, then the published SC2LE rows."""
    lines = []
    for name, row in results.items():
        last = seed + row["episodes"] - 1
        lines += [
            f"### {name} ({row['label']})",
            "",
            f"{row['episodes']} episodes, seeds {seed}-{last}.",
            "",
            "| agent | mean score | std | max | source |",
            "|---|---:|---:|---:|---|",
        ]
        lines += [
            f"| {kind} | {row[kind]:.1f} | {row[f'{kind}_std']:.1f} | {row[f'{kind}_max']:.0f} | {row['label']} |"
            for kind in row["agents"]
        ]
        lines += [f"| {label} | {row['sc2le'][key]:g} | | | StarCraft II (SC2LE, 2017) |" for key, label in SC2LE_ROWS]
        lines.append("")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``repaint bench``."""
    parser.add_argument("suite", choices=["sc2"], help="the benchmark suite: sc2 (the five mini-games)")
    parser.add_argument("--backend", default="builtin", choices=sorted(BACKEND_LABELS), help="default: builtin")
    parser.add_argument("--episodes", type=int, default=10, help="episodes per agent and mini-game (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first episode (default 0)")
    parser.add_argument("--maps", nargs="+", metavar="MAP", help=f"a subset of: {' '.join(MINIGAMES)}")
    parser.add_argument("--json", action="store_true", help='print one JSON object {"<MiniGame>": {...}, ...}')
    parser.add_argument(
        "--policy",
        action="append",
        metavar="[NAME=]PATH",
        help="a trained agent (run dir, policy.pt or teacher folder), played on its own mini-game; repeatable. "
        "With --policy only those mini-games run",
    )
    parser.add_argument("--deterministic", action="store_true", help="trained agents take their most likely action")
    parser.add_argument("--record", metavar="DIR", help="also write each agent's first episode per mini-game as a GIF")


def main(args: argparse.Namespace) -> int:
    """Run the benchmark and print the tables (or JSON)."""
    check_flag("--episodes", args.episodes, 1)
    unknown = [m for m in args.maps or () if m not in MINIGAMES]
    if unknown:
        raise UsageError(f"--maps: unknown mini-game(s) {', '.join(unknown)}; expected some of {', '.join(MINIGAMES)}")
    policies = tuple(
        PolicyAgent(
            *(entry.split("=", 1) if "=" in entry else (entry.rstrip("/").split("/")[-1], entry)), args.deterministic
        )
        for entry in args.policy or ()
    )
    maps = tuple(args.maps or (dict.fromkeys(p.minigame for p in policies) if policies else MINIGAMES))
    record = Path(args.record) if args.record else None
    results = bench_sc2(args.backend, args.episodes, args.seed, maps, policies, record)
    print(json.dumps(results) if args.json else markdown(results, args.seed))
    if record is not None:
        replays = [path for row in results.values() for path in row["replays"].values()]
        print(f"written: {', '.join(replays)}", file=sys.stderr)
    return 0

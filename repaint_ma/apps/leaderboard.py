"""``repaint leaderboard``: rank racing policies and bots on tracks by AWS DeepRacer's race rules.

Rules (all times are simulated race time: control steps / 15 Hz, never wall time; the rules and their
values are the simulator's, see ``envs.racing.rules``):

- time-trial: each entry alone on the track, ``--trials`` runs of ``--laps`` laps; its best run
  counts. Trial ``t`` of ``T`` starts ``t / T`` of a lap past the start line (trial 0 on it), so
  the trials see different starts while staying fixed from one command to the next. A car that
  crashes, leaves the track (all four wheels off), stands still (immobilized) or drives the wrong
  way (reversed) is reset (the env's ``off_track="reset"``) and waits its penalty seconds there
  while the clock runs (off-track 2 s, crash 5 s, reversed 2 s, immobilized 0 s: one step, the
  simulator's pause): its time includes them. A run stops at the reset after ``MAX_RESETS`` resets
  or after ``--time-limit`` seconds.
- object-avoidance: the same with ``--obstacles`` boxes on the track, placed as the simulator does.
- head-to-bot: the same with ``--bots`` bot cars on the track (the simulator's: on their lanes at
  ``--bot-speed``).
- head-to-model: all entries race together in one race per trial; of two cars that touch, the one
  behind has crashed.
- ``--reverse``: every race the other way round the track.
- an open track (see ``envs.racing.tracks``): every run is one run from the start line to the end
  line, whatever ``--laps``, and every trial starts on the start line.

Ranking (per track): more laps first, then less total time (race time, penalty waits included), then
more progress. Reported per entry and track: rank, best lap time, total time, laps, progress %,
resets by cause (off-track, crash, reversed, immobilized), the penalty seconds among the total, and
the mean reward per step under ``--reward`` (a DeepRacer reward file) when given. Policies act
deterministically (the mode of their action distribution) and trial ``t`` uses env seed ``t``, so
the same command prints the same table.

Entries: ``[NAME=]PATH`` with PATH a run dir, a ``policy.pt`` or a teacher folder; or
``bot:pure-pursuit`` with an optional speed in m/s, ``bot:pure-pursuit@3`` (bots drive through the
same action grid as the policies, so the speed is rounded to the grid's: 1, 2 or 3 m/s by default).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repaint_ma.errors import UsageError, check_flag, check_out

MAX_RESETS = 10  # a run stops at the next reset after this many (the simulator's NUMBER_OF_RESETS)
RACES = ("time-trial", "object-avoidance", "head-to-bot", "head-to-model")


@dataclass
class RunResult:
    """One entry's run on one track (one trial)."""

    laps: int = 0
    lap_times: list[float] = field(default_factory=list)
    race_time: float = 0.0
    resets: dict[str, int] = field(default_factory=dict)  # by cause, the env's infos["resets"]
    penalties: float = 0.0  # seconds of penalty waits, within race_time
    progress: float = 0.0
    reward_sum: float = 0.0
    steps: int = 0
    path: list[tuple[float, float]] = field(default_factory=list)
    replay: dict[str, Any] | None = None  # with ``record``: the race as ``replay.write_gif`` draws it

    @property
    def total_time(self) -> float:
        """The race time: penalty waits are in it, as DeepRacer counts them."""
        return self.race_time

    def key(self) -> tuple:
        """Sort key: more laps, then less total time, then more progress."""
        return (-self.laps, self.total_time, -self.progress)


class Entry:
    """A leaderboard entry: a trained policy or a pure-pursuit bot, acting for a batch of cars."""

    def __init__(self, spec: str) -> None:
        name, _, target = spec.rpartition("=")
        self.spec, self.target = spec, target
        self.policy = None
        if target.startswith("bot:"):
            kind, _, speed = target.removeprefix("bot:").partition("@")
            if kind != "pure-pursuit":
                raise UsageError(f"--entry {spec}: unknown bot {kind!r}; expected bot:pure-pursuit[@SPEED]")
            try:
                self.speed = float(speed) if speed else 1.5
            except ValueError:
                raise UsageError(f"--entry {spec}: bot speed {speed!r} is not a number of m/s") from None
            self.name = name or f"pure-pursuit@{self.speed:g}"
            return
        from repaint_ma.networks import load_policy
        from repaint_ma.teacher import resolve_policy

        path = Path(target)
        policy_file, _ = resolve_policy(path, f"--entry {spec}")
        try:
            self.policy, _ = load_policy(policy_file)
        except Exception as err:  # a .pt that is not one of our policies
            raise UsageError(f"--entry {spec}: {policy_file} is not a repaint policy ({err})") from None
        self.name = name or (path.name if path.is_dir() else path.parent.name)

    def check(self, env: Any) -> None:
        """A policy must have been trained for this env's observation size and actions."""
        if self.policy is None:
            return
        want = env.observation_space(env.possible_agents[0]).shape[0]
        got = self.policy.config["obs_dim"]
        if got != want:
            raise UsageError(f"--entry {self.spec}: trained for observations of size {got}, the race gives {want}")

    def act(self, env: Any, obs: dict, agents: list[str]) -> dict[str, Any]:
        """Actions of this entry's cars (one batched forward pass for a policy)."""
        if self.policy is None:
            from envs.racing.bots import PurePursuit

            bot = PurePursuit(env.actions, speed=self.speed)
            return {a: bot.act(env, a) for a in agents}
        import numpy as np
        import torch

        with torch.no_grad():
            batch = torch.as_tensor(np.stack([obs[a] for a in agents]))
            action, _ = self.policy.act_raw(batch, deterministic=True)
        return dict(zip(agents, action.numpy(), strict=True))


def race(
    entries: list[Entry], track: str, trial: int, laps: int, kind: str, time_limit: float, reward: Any = None,
    start_offset: float = 0.0, record: bool = False, **race_kwargs: Any,
) -> list[RunResult]:  # fmt: skip
    """One race of kind ``kind`` (one of ``RACES``) of ``entries`` (one car each) on ``track``, the grid
    ``start_offset`` metres past the start line; ``race_kwargs`` go to the env (obstacles, bots,
    bot_speed, reverse). Returns one result per entry; with ``record``, each holds the race's
    replay (one frame at the start and one per control step)."""
    import envs
    from envs.racing.physics import CONTROL_HZ
    from repaint_ma.apps.replay import racing_frame

    env = envs.make(
        "racing/multi-car", cars=len(entries), race_type=kind.replace("-", "_"), track=track, laps=laps,
        max_steps=int(time_limit * CONTROL_HZ), off_track="reset", max_resets=MAX_RESETS, reward="centerline",
        start_offset=start_offset, **race_kwargs,
    )  # fmt: skip
    for entry in entries:
        entry.check(env)
    obs, infos = env.reset(seed=trial)
    results = [RunResult() for _ in entries]
    owner = {agent: i for i, agent in enumerate(env.possible_agents)}
    cars, frames = list(env.racing), []  # every car is on the track after the reset
    while True:
        if record:
            frames.append(racing_frame(env, cars, frames[-1] if frames else None))
        if not env.agents:
            break
        actions: dict[str, Any] = {}
        for i, entry in enumerate(entries):
            mine = [a for a in env.agents if owner[a] == i]
            if mine:
                actions |= entry.act(env, obs, mine)
        obs, _, _, _, infos = env.step(actions)
        for agent, info in infos.items():
            r, p = results[owner[agent]], info["params"]
            r.steps, r.race_time, r.progress = r.steps + 1, info["time"], float(p["race_progress"])
            r.path.append((float(p["x"]), float(p["y"])))
            if reward is not None:
                r.reward_sum += float(reward(p))
            if info["laps"] > r.laps:
                r.lap_times.append(info["time"] - sum(r.lap_times))
                r.laps = info["laps"]
            r.resets, r.penalties = info["resets"], info["penalty_s"]
    if record:
        labels = [entries[car].name if car < len(entries) else "bot" for car in cars]
        for r in results:
            r.replay = {"track": env.track, "labels": labels, "frames": frames}
    env.close()
    return results


def leaderboard(
    entries: list[Entry], tracks: list[str], race_kind: str, trials: int, laps: int, time_limit: float,
    reward: Any = None, record: bool = False, **race_kwargs: Any,
) -> dict[str, list[dict[str, Any]]]:  # fmt: skip
    """Per track, the ranked rows (best trial per entry) and each best run's driven line (``path``) and,
    with ``record``, its race's replay (``replay``); ``race_kwargs`` go to ``race``."""
    from envs.racing.tracks import load_track

    out: dict[str, list[dict[str, Any]]] = {}
    for track in tracks:
        best: list[RunResult | None] = [None] * len(entries)
        t = load_track(track)
        n_laps, length = (laps, t.length) if t.closed else (1, 0.0)
        for trial in range(trials):
            offset = trial * length / trials
            if race_kind == "head-to-model":
                runs = race(entries, track, trial, n_laps, race_kind, time_limit, reward, offset, record, **race_kwargs)
            else:
                runs = [race([e], track, trial, n_laps, race_kind, time_limit, reward, offset, record, **race_kwargs)[0]
                        for e in entries]  # fmt: skip
            for i, run in enumerate(runs):
                if best[i] is None or run.key() < best[i].key():
                    best[i] = run
        order = sorted(range(len(entries)), key=lambda i: best[i].key())
        rows = []
        for rank, i in enumerate(order, 1):
            r = best[i]
            rows.append({
                "rank": rank, "entry": entries[i].name, "track": Path(track).stem,
                "best_lap_s": round(min(r.lap_times), 3) if r.lap_times else None,
                "total_time_s": round(r.total_time, 3), "laps": r.laps, "progress_pct": round(r.progress, 1),
                "offtrack": r.resets.get("offtrack", 0), "crashes": r.resets.get("crash", 0),
                "reversed": r.resets.get("reversed", 0), "immobilized": r.resets.get("immobilized", 0),
                "penalty_s": round(r.penalties, 3),
                "mean_reward": round(r.reward_sum / r.steps, 4) if reward is not None and r.steps else None,
                "path": r.path, "replay": r.replay,
            })  # fmt: skip
        out[Path(track).stem] = rows
    return out


COLUMNS = ["rank", "entry", "best_lap_s", "total_time_s", "laps", "progress_pct", "offtrack", "crashes", "reversed",
           "immobilized", "penalty_s", "mean_reward"]  # fmt: skip


def markdown(board: dict[str, list[dict[str, Any]]], race_kind: str) -> str:
    lines = []
    for track, rows in board.items():
        lines += [f"### {track} ({race_kind})", "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        for row in rows:
            lines.append("| " + " | ".join("-" if row[c] is None else str(row[c]) for c in COLUMNS) + " |")
        lines.append("")
    return "\n".join(lines)


def plot_lines(track: str, rows: list[dict[str, Any]], path: Path) -> None:
    """The track with each entry's driven line (its best run)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from envs.racing.tracks import load_track

    t = load_track(track)
    fig, ax = plt.subplots(figsize=(6, 5))
    for line, style in [(b, {"color": "black", "lw": 1}) for b in t.outlines()] + [
        (np.vstack([t.centre, t.centre[:1]]) if t.closed else t.centre, {"color": "grey", "lw": 0.5, "ls": "--"})
    ]:
        ax.plot(*line.T, **style)
    for row in rows:
        if row["path"]:
            xs, ys = zip(*row["path"], strict=True)
            ax.plot(xs, ys, lw=1.2, label=f"{row['rank']}. {row['entry']}")
    ax.set_aspect("equal")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(f"{Path(track).stem}: driven lines")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``repaint leaderboard``."""
    parser.add_argument("--track", action="append", required=True, help="shipped name or DeepRacer .npy; repeatable")
    parser.add_argument(
        "--entry",
        action="append",
        required=True,
        metavar="[NAME=]PATH|bot:pure-pursuit[@SPEED]",
        help="a run dir, policy.pt or teacher folder (optionally named), or the scripted driver; repeatable",
    )
    parser.add_argument("--race", choices=RACES, default="time-trial", help="race type (default time-trial)")
    parser.add_argument("--trials", type=int, default=3, help="runs per entry and track; the best counts (default 3)")
    parser.add_argument("--laps", type=int, default=3, help="laps per run (default 3)")
    parser.add_argument("--bots", type=int, default=2, help="bot cars in head-to-bot (default 2)")
    parser.add_argument("--bot-speed", type=float, default=1.5, help="head-to-bot's bot speed, m/s (default 1.5)")
    parser.add_argument("--obstacles", type=int, default=3, help="boxes in object-avoidance (default 3)")
    parser.add_argument("--reverse", action="store_true", help="race the tracks the other way round")
    parser.add_argument("--time-limit", type=float, default=120.0, help="race seconds per run (default 120)")
    parser.add_argument("--reward", help="a DeepRacer reward file: report the mean reward per step under it")
    parser.add_argument("--format", choices=("md", "csv", "json"), default="md", help="what the terminal shows")
    parser.add_argument(
        "--out", help="folder for leaderboard.csv, leaderboard.json, a PNG per track and index.html (the page)"
    )
    parser.add_argument(
        "--record", metavar="DIR", help="also write each entry's best race on each track as an animated GIF in DIR"
    )


def _race_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The env kwargs of the race flags: boxes, bots, direction."""
    kwargs: dict[str, Any] = {"reverse": True} if args.reverse else {}
    if args.race == "object-avoidance":
        kwargs["obstacles"] = args.obstacles
    if args.race == "head-to-bot":
        kwargs |= {"bots": args.bots, "bot_speed": args.bot_speed}
    return kwargs


def main(args: argparse.Namespace) -> int:
    """Run the races; print the table; write replays to --record and CSV, JSON, plots and the page to --out."""
    from envs.racing.rewards import RewardFunctionError, load_reward
    from envs.racing.tracks import load_track

    for track in args.track:
        if track.endswith(".npy") and not Path(track).is_file():
            raise UsageError(f"--track {track}: no such file")
        try:
            load_track(track)
        except ValueError as err:
            raise UsageError(f"--track {track}: {err}") from None
    for flag, value, low in (("--trials", args.trials, 1), ("--laps", args.laps, 1), ("--bots", args.bots, 1),
                             ("--obstacles", args.obstacles, 1)):  # fmt: skip
        check_flag(flag, value, low)
    check_flag("--time-limit", args.time_limit, 0, above=True)
    check_flag("--bot-speed", args.bot_speed, 0, above=True)
    if args.out:
        check_out("--out", Path(args.out), folder=True)
    if args.record:
        check_out("--record", Path(args.record), folder=True)
    reward = None
    if args.reward:
        try:
            reward = load_reward(args.reward)
        except RewardFunctionError as err:
            raise UsageError(f"--reward {args.reward}: {err}") from None
    entries = [Entry(spec) for spec in args.entry]
    record = Path(args.record) if args.record else None
    board = leaderboard(
        entries, args.track, args.race, args.trials, args.laps, args.time_limit, reward, record is not None,
        **_race_kwargs(args),
    )  # fmt: skip
    flat = [{k: v for k, v in row.items() if k not in ("path", "replay")} for rows in board.values() for row in rows]
    if args.format == "json":
        print(json.dumps(flat))
    elif args.format == "csv":
        print(",".join(["track", *COLUMNS]))
        for row in flat:
            print(",".join(str(row[c]) for c in ["track", *COLUMNS]))
    else:
        print(markdown(board, args.race))
    written = write_replays(board, record) if record is not None else {}
    files = list(written.values())
    if args.out:
        files = write_out(Path(args.out), args.track, board, flat, args.race, written) + files
    if files:
        print(f"written: {', '.join(map(str, files))}", file=sys.stderr)
    return 0


def write_replays(board: dict[str, list[dict[str, Any]]], record: Path) -> dict[tuple[str, int], Path]:
    """Each row's race as ``record/<track>-<rank>-<entry>.gif``; returns the GIF of each ``(track, rank)``."""
    from repaint_ma.apps.replay import write_gif

    written = {}
    for track, rows in board.items():
        for row in rows:
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", row["entry"])
            written[track, row["rank"]] = record / f"{track}-{row['rank']}-{name}.gif"
            write_gif(row["replay"], written[track, row["rank"]])
    return written


def write_out(
    out: Path, tracks: list[str], board: dict[str, list[dict[str, Any]]], flat: list[dict[str, Any]], race_kind: str,
    replays: dict[tuple[str, int], Path],
) -> list[Path]:  # fmt: skip
    """Write the CSV, the JSON, each track's driven lines and the page (linking ``replays``) to ``out``;
    returns the files written."""
    from repaint_ma.apps.leaderboard_page import write_page

    out.mkdir(parents=True, exist_ok=True)
    (out / "leaderboard.json").write_text(json.dumps(flat, indent=1))
    with open(out / "leaderboard.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, ["track", *COLUMNS])
        writer.writeheader()
        writer.writerows(flat)
    images = {}
    for track, (name, rows) in zip(tracks, board.items(), strict=True):
        images[name] = out / f"leaderboard-{name}.png"
        plot_lines(track, rows, images[name])
    page = write_page(out, board, race_kind, COLUMNS, images, replays)
    return [out / "leaderboard.csv", out / "leaderboard.json", *images.values(), page]

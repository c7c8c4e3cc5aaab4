"""Pure pursuit at fixed speeds: laps completed and lap times on a track, how fast the car can lap.

    python benchmarks/pursuit_laps.py --track envs/racing/tracks/reInvent2019_track.npy --speeds 1 2 3 4
    python benchmarks/pursuit_laps.py --speeds 4 --corner-accel 2.5   # slows for the bends

For each speed, one ``racing/single-car`` race of ``--laps`` laps (continuous actions, so the
command is the speed exactly; walls as the env's default) driven by ``PurePursuit`` at that speed
with ``--lookahead``: the laps completed, each lap's time (s), whether the race ended off the track
or crashed, how far it got (percent of the race), the fastest speed measured and the share of
steps commanded at the full speed.

``--corner-accel A`` (m/s^2) lowers the command in bends, as a driver brakes for them: to
sqrt(A / k), k the sharpest centre-line curvature (averaged over 0.5 m) within ``--preview``
metres ahead, never above the speed. It reads only the env's public API (``env.track``,
``env.params``), so the same script measures another checkout's car (``PYTHONPATH=checkout``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math

import numpy as np

import envs
from envs.racing import PurePursuit

SMOOTHING = 0.5  # metres of centre line over which the curvature is averaged


def curvature(track) -> np.ndarray:
    """|curvature| (1/m) at each waypoint of a closed track, averaged over ``SMOOTHING`` metres."""
    step = np.linalg.norm(np.roll(track.centre, -1, axis=0) - track.centre, axis=1)
    turn = np.diff(np.unwrap(np.append(track.seg_angle, track.seg_angle[0])))
    k, half = abs(turn) / step, max(1, round(SMOOTHING / 2 / step.mean()))
    window = np.ones(2 * half + 1) / (2 * half + 1)
    return np.convolve(np.concatenate([k[-half:], k, k[:half]]), window, mode="valid")


def race(track: str, speed: float, laps: int, lookahead: float, corner_accel: float | None,
         preview: float) -> dict:  # fmt: skip
    """One race at ``speed`` m/s; the laps completed, lap times and how it ended."""
    env = envs.make("racing/single-car", track=track, action_space="continuous", laps=laps, max_steps=10_000)
    driver = PurePursuit(env.actions, speed=speed, lookahead=lookahead)
    env.reset(seed=0)
    bends = curvature(env.track)
    ahead = np.arange(max(1, round(preview / (env.track.length / len(bends)))))
    lap_ends, top_speed, full, steps, info = [0.0], 0.0, 0, 0, {}
    while env.agents:
        if corner_accel is not None:
            k = bends[(env.params["car_0"]["closest_waypoints"][0] + ahead) % len(bends)].max()
            driver.speed = min(speed, math.sqrt(corner_accel / max(k, 1e-9)))
        full += driver.speed >= speed
        *_, infos = env.step({"car_0": driver.act(env, "car_0")})
        info, steps = infos["car_0"], steps + 1
        top_speed = max(top_speed, info["params"]["measured_speed"])
        if info["laps"] > len(lap_ends) - 1:
            lap_ends.append(info["time"])
    env.close()
    params = info["params"]
    return {
        "speed": speed,
        "corner_accel": corner_accel,
        "laps": info["laps"],
        "lap_times_s": [round(b - a, 2) for a, b in itertools.pairwise(lap_ends)],
        "off_track": bool(params["is_offtrack"]),
        "crashed": bool(params["is_crashed"]),
        "race_progress": round(params["race_progress"], 1),
        "top_speed": round(top_speed, 2),
        "share_at_speed": round(full / steps, 2),
    }


def main() -> None:
    """Parse arguments and print one result per speed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--track", default="envs/racing/tracks/reInvent2019_track.npy")
    parser.add_argument("--speeds", type=float, nargs="+", default=[1.0, 2.0, 3.0, 4.0])
    parser.add_argument("--laps", type=int, default=3)
    parser.add_argument("--lookahead", type=float, default=0.8, help="pure-pursuit lookahead, m")
    parser.add_argument("--corner-accel", type=float, help="slow for bends to this lateral acceleration, m/s^2")
    parser.add_argument("--preview", type=float, default=1.5, help="metres ahead scanned for bends")
    parser.add_argument("--json", action="store_true", help="print one JSON object per speed")
    args = parser.parse_args()
    for speed in args.speeds:
        result = race(args.track, speed, args.laps, args.lookahead, args.corner_accel, args.preview)
        print(json.dumps(result) if args.json else "  ".join(f"{k} {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()

"""Load every DeepRacer route file (``*.npy``) of a folder through the racing env; count why any fail.

python benchmarks/load_all_routes.py ROUTES_DIR [--walls auto|on|off] [--steps 5] [--verbose]

Each file goes through ``envs.make("racing/single-car", track=FILE)`` (walls as given), a reset and
``--steps`` steps at the grid's slowest straight action; DeepRacer's own routes are
``bundle/routes/*.npy`` of aws-deepracer-community/deepracer-simapp.
"""

from __future__ import annotations

import argparse
import collections
import re
from pathlib import Path

import envs
from envs.errors import EnvInputError
from envs.racing.tracks import WALLS


def load(path: Path, walls: str, steps: int) -> tuple[str | None, bool]:
    """None and whether the track is closed when ``path`` loads and steps, else the reason and False."""
    try:
        env = envs.make("racing/single-car", track=str(path), walls=walls)
    except EnvInputError as err:
        reason = re.sub(r"^track \S+: ", "", str(err)).split(";")[0]
        return re.sub(r"\d+(\.\d+)?", "#", reason), False  # numbers out, so that reasons group
    env.reset(seed=0)
    for _ in range(steps):
        if env.agents:
            env.step({agent: 0 for agent in env.agents})
    env.close()
    return None, env.track.closed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("routes", type=Path)
    p.add_argument("--walls", choices=WALLS, default="auto")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--verbose", action="store_true", help="one line per file")
    args = p.parse_args()
    files = sorted(args.routes.glob("*.npy"))
    failures: collections.Counter[str] = collections.Counter()
    open_tracks = 0
    for path in files:
        reason, closed = load(path, args.walls, args.steps)
        if reason is None:
            open_tracks += not closed
        else:
            failures[reason] += 1
        if args.verbose:
            print(f"{path.name}: {reason or ('closed' if closed else 'open')}")
    loaded = len(files) - sum(failures.values())
    print(f"{loaded} of {len(files)} route files load (walls {args.walls}; {open_tracks} open)")
    for reason, count in failures.most_common():
        print(f"  {count} {reason}")


if __name__ == "__main__":
    main()

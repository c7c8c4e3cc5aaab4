"""The racing ParallelEnvs: ``racing/single-car`` (time trial) and ``racing/multi-car``.

Observation of each learning car (``Box`` float32, values clipped to the bounds in brackets),
with R = ``lidar_rays``:

====================  =========================================================  ===========
index                 meaning                                                    range
====================  =========================================================  ===========
0 .. R-1              lidar distance / ``lidar_range``, ray k at 360*k/R degrees  [0, 1]
                      left of the heading (ray 0 straight ahead); walls, track
                      borders and other cars
R                     forward speed / 4 m/s                                       [-1, 1]
R+1                   commanded steering / 30 degrees (left positive)             [-1, 1]
R+2                   heading error to the track direction / pi                   [-1, 1]
R+3                   signed distance from the centre / half the track width      [-3, 3]
                      (left positive; beyond +-1 the car is off the track)
R+4                   race progress / 100                                         [0, 1]
R+5 ..                camera only: grey image, row-major, ``camera`` = (w, h)     [0, 1]
====================  =========================================================  ===========

Default size: 16 + 5 = 21. A multi-car observation has the same layout: other cars appear only
through the lidar (and the camera).

Defaults: 16 lidar rays (obs size 21), the discrete 15-action DeepRacer grid, reward
"centerline" (single-car) or "avoid_cars" (multi-car: 2 cars + 1 bot), laps=1, max_steps=1000.
One lap of the oval (24.6 m) takes 188 steps at 2 m/s and 365 at the slowest grid speed
(1 m/s), so max_steps=400 suits one-lap oval episodes.

Rules: a car whose four wheels are all off the track (``is_offtrack``) or that touches a barrier
wall or another car (``is_crashed``) terminates; with ``off_track="reset"`` (races, the
leaderboard) it is instead put back at rest on the centre line at its nearest point (moved back
along the line until no other car is within 1.2 m), and
``infos[agent]["resets"]`` counts these by cause (the ``max_resets``-th one terminates). A car
that completes ``laps`` laps terminates. On an open track (``envs.racing.tracks``) the race is one run
from the start to the end line: ``laps`` must be 1, the car that crosses the end line finishes
(``laps`` 1, progress 100), and the default grid starts on the start line, not behind it.
``max_steps`` control steps (15 Hz) truncate. Progress and laps count only new ground in the
driving direction from the car's own start (the start line for the default time-trial start):
reversing, zig-zagging over the line or driving the wrong way adds nothing (``params.Progress``), measured at
the car's front point (DeepRacer's (x, y), 0.14 m ahead of its centre).
Finished cars leave ``agents`` and are parked far away. Bots (scripted ``PurePursuit`` cars, not
agents) are parked when they crash or leave the track. Parked cars stay in the other cars' ``objects_*`` params.

``infos[agent]`` = {"params": the step's DeepRacer params, "laps": completed laps,
"time": seconds since the start}; the reward is ``reward(params)`` (on a deep copy), so any reward can be
recomputed from the stored params. The params follow DeepRacer's simulator key by key (``params``: a table of
every key, its rule in the simulator and ours); the observation's speed and progress are the measured ones
(params ``measured_speed``, ``race_progress``), not DeepRacer's ``speed`` (commanded) and ``progress`` (per lap).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from envs.errors import EnvKwargError, check_number
from envs.racing.actions import MAX_SPEED, MAX_STEERING, Actions
from envs.racing.bots import PurePursuit
from envs.racing.params import Cars, Objects, Placement, Progress, deepracer_params, place_on_track
from envs.racing.physics import CAR_LENGTH, CAR_WIDTH, CONTROL_HZ, CarState, World
from envs.racing.rewards import REWARD_TIMEOUT_S, RewardFn, load_reward
from envs.racing.tracks import WALLS, Track, load_track

GRID_GAP = 1.0  # metres between start-grid slots
DEFAULT_CAMERA = (32, 24)
CAR_HALF_SIZE = (CAR_LENGTH / 2, CAR_WIDTH / 2)  # a car's floor footprint, for object_in_camera
# speed, steering, heading error, lateral / half width, progress -> the observation's scale
_SCALAR_SCALE = np.array([1 / MAX_SPEED, 1 / MAX_STEERING, 1 / np.pi, 1.0, 1 / 100])


class RacingEnv(ParallelEnv):
    """DeepRacer-style racing on PyBullet; see the module docstring for spaces and rules.

    Args:
        track: shipped track name or path to a DeepRacer waypoint ``.npy``.
        cars: learning cars (agents ``car_0`` ..), sharing one policy.
        bots: scripted pure-pursuit cars (not agents), ahead of the learning cars on the grid.
        bot_speed: bots' speed, m/s.
        action_space: "discrete" (DeepRacer grid) or "continuous".
        actions: the discrete grid, a list of {"steering_angle", "speed"} dicts.
        reward: built-in reward name, DeepRacer reward file ("f.py" or "f.py:fn") or callable.
        reward_timeout_s: a reward file's import and each call stop the run after this many seconds (0: no bound).
        max_steps: control steps before truncation.
        laps: laps that finish a car's race.
        lidar_rays, lidar_range: number of rays over 360 degrees, and their length (m).
        camera: False, True (32 x 24 grey image) or (width, height): appended to the obs.
        start_positions: arc length (m) of each car's start, learning cars then bots; default a
            grid behind the start line.
        random_start: shift the whole grid by a random arc length at every reset (seeded).
        substeps, solver_iterations: physics steps per control step, and solver iterations.
        walls: barrier walls ``wall_margin`` metres outside the borders: "auto" (default) only
            where they stay clear of the track (on the shipped tracks: everywhere), "on" everywhere
            (an error where they would cross the track), "off" none (``Track.barriers``).
        wall_margin: metres between the borders and the barrier walls.
        reverse: race the track against its waypoint order (DeepRacer's reverse direction; params
            ``is_reversed`` True, waypoints and arc lengths in the driven order).
    """

    def __init__(
        self,
        track: str = "oval",
        cars: int = 1,
        bots: int = 0,
        bot_speed: float = 1.5,
        action_space: str = "discrete",
        actions: list[dict[str, float]] | None = None,
        reward: str | RewardFn = "centerline",
        reward_timeout_s: float = REWARD_TIMEOUT_S,
        max_steps: int = 1000,
        laps: int = 1,
        lidar_rays: int = 16,
        lidar_range: float = 5.0,
        camera: bool | tuple[int, int] = False,
        start_positions: list[float] | None = None,
        random_start: bool = False,
        start_offset: float = 0.0,
        substeps: int = 15,
        solver_iterations: int = 10,
        walls: str = "auto",
        wall_margin: float = 0.6,
        off_track: str = "terminate",
        max_resets: int | None = None,
        reverse: bool = False,
        render_mode: str | None = None,
        name: str = "racing_v0",
    ) -> None:
        for key, value, low in (("cars", cars, 1), ("bots", bots, 0), ("max_steps", max_steps, 1), ("laps", laps, 1),
                                ("lidar_rays", lidar_rays, 0), ("substeps", substeps, 1),
                                ("solver_iterations", solver_iterations, 1)):  # fmt: skip
            check_number(key, value, low)
        check_number("reward_timeout_s", reward_timeout_s, 0, integer=False)
        for key, value in (("bot_speed", bot_speed), ("lidar_range", lidar_range), ("wall_margin", wall_margin)):
            check_number(key, value, 0, integer=False, above=True)
        if render_mode not in (None, "rgb_array"):
            raise EnvKwargError("render_mode", f"expected None or 'rgb_array', got {render_mode!r}")
        if off_track not in ("terminate", "reset"):
            raise EnvKwargError("off_track", f"expected 'terminate' or 'reset', got {off_track!r}")
        if not isinstance(reverse, bool):
            raise EnvKwargError("reverse", f"expected true or false, got {reverse!r}")
        if walls not in WALLS:
            raise EnvKwargError("walls", f"expected one of {list(WALLS)}, got {walls!r}")
        if start_positions is not None and len(start_positions) != cars + bots:
            raise EnvKwargError("start_positions", f"expected {cars + bots} arc lengths (cars + bots)")
        self.metadata = {"name": name, "render_modes": ["rgb_array"], "render_fps": CONTROL_HZ}
        self.track: Track = load_track(track).reversed() if reverse else load_track(track)
        self.reverse = reverse
        if not self.track.closed and laps != 1:
            raise EnvKwargError("laps", f"track {self.track.name} is open (a race ends at its end line): use laps: 1")
        self.n_cars, self.n_bots = cars, bots
        self.actions = Actions(action_space, actions)
        self.reward_fn = load_reward(reward, reward_timeout_s)
        self.max_steps, self.laps = max_steps, laps
        self.lidar_angles = (2 * np.pi * np.arange(lidar_rays) / lidar_rays + np.pi) % (2 * np.pi) - np.pi
        self.lidar_range = lidar_range
        self.camera_size = DEFAULT_CAMERA if camera is True else (camera or None)
        self.start_positions = start_positions
        self.random_start, self.start_offset = random_start, start_offset
        self.off_track, self.max_resets = off_track, max_resets
        self.render_mode = render_mode
        self.bot_driver = PurePursuit(speed=bot_speed)
        self.object_speed = bot_speed if bots else None  # objects_speed: the bots' speed in races with bots
        self.obstacles = Objects.none()  # static objects after the cars in the objects_* lists
        self.world = World(
            self.track.curbs(),
            self.track.barriers(wall_margin, walls),
            cars + bots,
            self.lidar_angles,
            lidar_range,
            substeps,
            solver_iterations,
        )

        self.possible_agents = [f"car_{i}" for i in range(cars)]
        self._car_of = {agent: car for car, agent in enumerate(self.possible_agents)}  # its car index in the world
        n_pixels = int(np.prod(self.camera_size)) if self.camera_size else 0
        low = np.concatenate([np.zeros(lidar_rays), [-1, -1, -1, -3, 0], np.zeros(n_pixels)])
        high = np.concatenate([np.ones(lidar_rays), [1, 1, 1, 3, 1], np.ones(n_pixels)])
        obs_space = spaces.Box(low.astype(np.float32), high.astype(np.float32), dtype=np.float32)
        self.observation_spaces = dict.fromkeys(self.possible_agents, obs_space)
        self.action_spaces = dict.fromkeys(self.possible_agents, self.actions.space)
        self._low, self._high = obs_space.low, obs_space.high
        self.agents: list[str] = []
        self.racing: list[int] = []  # car indices still on the track: live agents, then bots
        self.params: dict[str, dict[str, Any]] = {}  # latest params of each agent
        self.bot_params: dict[int, dict[str, Any]] = {}  # latest params of each bot (car index)

    def observation_space(self, agent: str) -> spaces.Space:
        """The (shared, cached) observation space."""
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        """The (shared, cached) action space."""
        return self.action_spaces[agent]

    # -- episode ------------------------------------------------------------------------------

    def _start_arcs(self) -> np.ndarray:
        if self.start_positions is not None:
            arcs = np.asarray(self.start_positions, dtype=float)
        else:  # bots in front, learning cars behind them
            slots = np.arange(self.n_cars + self.n_bots)
            arcs = -GRID_GAP * np.concatenate([slots[self.n_bots :], slots[: self.n_bots]])
        arcs = arcs + self.start_offset  # metres along the centre line from the start line
        if self.random_start:
            arcs = arcs + self.np_random.uniform(0.0, self.track.length)
        if not self.track.closed:  # nothing behind the start line, and short of the end line
            return np.minimum(arcs - min(arcs.min(), 0.0), 0.99 * self.track.length)
        return arcs % self.track.length

    def reset(
        self, seed: int | None = None, options: dict | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict]]:
        """Put every car on its grid slot; returns observations and infos (with params)."""
        if seed is not None or not hasattr(self, "np_random"):
            self.np_random = np.random.default_rng(seed)
        self.world.build()
        arcs = self._start_arcs()
        n_total = self.n_cars + self.n_bots
        stagger = 0.22 * self.track.width.min() if n_total > 1 else 0.0
        for car, s in enumerate(arcs):
            x, y, direction = self.track.point_at(float(s))
            side = stagger * (1 if car % 2 == 0 else -1)
            self.world.place(car, x - side * np.sin(direction), y + side * np.cos(direction), direction)
        self.agents = list(self.possible_agents)
        self.resets = {agent: {"offtrack": 0, "crash": 0} for agent in self.agents}
        self.racing = list(range(n_total))
        self.steering = np.zeros(n_total)  # commanded, degrees
        self.command_speed = np.zeros(n_total)  # commanded, m/s
        self.steps = 0
        self.progress = Progress(self.track.length, arcs, self.laps, self.track.closed)
        place = place_on_track(self.track, *self._poses())
        obs, infos, _ = self._observe(place, np.zeros(n_total, dtype=bool))
        return obs, infos

    def _poses(self) -> tuple[np.ndarray, np.ndarray]:
        """Centres and yaws of the racing cars; keeps their ``_state`` and every car's pose (``_cars``)."""
        every = self.world.state(list(range(self.n_cars + self.n_bots)))
        self._cars = Objects(every.xy, every.yaw, np.tile(CAR_HALF_SIZE, (len(every.xy), 1)))
        racing = np.array(self.racing, dtype=int)
        self._state = CarState(every.xy[racing], every.yaw[racing], every.speed[racing])
        return self._state.xy, self._state.yaw

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """Apply one action per live agent for 1/15 s; bots drive themselves."""
        for agent in self.agents:
            car = self._car_of[agent]
            steer, speed = self.actions.decode(actions[agent])
            self.steering[car], self.command_speed[car] = steer, speed
            self.world.control(car, math.radians(steer), speed)
        for car in self.racing[len(self.agents) :]:
            steer, speed = self.bot_driver.control(self.bot_params[car])
            self.steering[car], self.command_speed[car] = steer, speed
            self.world.control(car, math.radians(steer), speed)
        self.world.step()
        self.steps += 1

        place = place_on_track(self.track, *self._poses())
        crashed = np.array([self.world.crashed(car) for car in self.racing], dtype=bool)
        obs, infos, params = self._observe(place, crashed)
        rewards, terminations, truncations = {}, {}, {}
        for i, (agent, p) in enumerate(zip(self.agents, params, strict=True)):
            rewards[agent] = self.reward_fn(p)
            finished = infos[agent]["laps"] >= self.laps
            out = p["is_offtrack"] or p["is_crashed"]
            if out and self.off_track == "reset" and not finished:  # back on the centre line, at rest
                self.resets[agent]["crash" if p["is_crashed"] else "offtrack"] += 1
                infos[agent]["resets"] = dict(self.resets[agent])
                out = self.max_resets is not None and sum(self.resets[agent].values()) >= self.max_resets
                if not out:
                    self.world.place(self._car_of[agent], *self._clear_spot(float(place.s[i]), i))
            terminations[agent] = out or finished
            truncations[agent] = self.steps >= self.max_steps
        self._retire(
            [a for a in self.agents if terminations[a] or truncations[a]],
            [car for car, p in self.bot_params.items() if p["is_offtrack"] or p["is_crashed"]],
        )
        return obs, rewards, terminations, truncations, infos

    def _clear_spot(self, s: float, index: int) -> tuple[float, float, float]:
        """The centre-line pose at arc ``s``, moved back until no other racing car is within 1.2 m."""
        others = np.delete(self._state.xy, index, axis=0)
        for _ in range(20):
            x, y, direction = self.track.point_at(s)
            if not len(others) or np.hypot(*(others - (x, y)).T).min() > 1.2:
                break
            s -= 0.5
        return x, y, direction

    def _retire(self, agents: list[str], bots: list[int]) -> None:
        cars = [self._car_of[a] for a in agents] + bots
        for car in cars:
            self.world.park(car)
        self.agents = [a for a in self.agents if a not in agents]
        self.racing = [car for car in self.racing if car not in cars]
        if not self.agents:
            self.racing = []

    def _observe(self, place: Placement, crashed: np.ndarray) -> tuple[dict, dict, list]:
        """Update progress; observations, infos and params of the live agents.

        The bots' params are kept in ``bot_params`` (their driver reads them next step).
        """
        state, racing, k = self._state, np.array(self.racing, dtype=int), len(self.agents)
        self.progress.update(racing, place.front_s)
        steering, percent = self.steering[racing], self.progress.percent(racing)
        cars = Cars(racing, state, place, steering, self.command_speed[racing], self.progress.lap_percent(racing),
                    percent, crashed)  # fmt: skip
        params = deepracer_params(
            self.track, cars, self._cars + self.obstacles, self.steps, self.object_speed, self.reverse
        )
        self.bot_params = dict(zip(self.racing[k:], params[k:], strict=True))
        scalars = np.stack([state.speed, steering, place.heading_error, place.lateral / place.half_width, percent])
        parts = [
            self.world.lidar(state.xy[:k], state.yaw[:k]) / self.lidar_range,
            scalars[:, :k].T * _SCALAR_SCALE,
        ]
        if self.camera_size:
            parts.append(
                [
                    self.world.camera(car, state.xy[i], state.yaw[i], *self.camera_size).ravel()
                    for i, car in enumerate(self.racing[:k])
                ]
            )
        vector = np.minimum(np.maximum(np.hstack(parts), self._low), self._high)
        vector = vector.astype(np.float32)
        laps = self.progress.laps(racing[:k]).tolist()
        time = self.steps / CONTROL_HZ
        obs, infos = {}, {}
        for i, agent in enumerate(self.agents):
            obs[agent] = vector[i]
            infos[agent] = {"params": params[i], "laps": laps[i], "time": time, "resets": dict(self.resets[agent])}
            self.params[agent] = params[i]
        return obs, infos, params[:k]

    # -- rendering ------------------------------------------------------------------------------

    def render(self) -> np.ndarray | None:
        """Top-down RGB image (H, W, 3) uint8 of the track and the racing cars."""
        if self.render_mode != "rgb_array":
            return None
        from envs.racing.render import top_down

        state = self.world.state(self.racing) if self.racing else None
        labels = [f"car_{c}" if c < self.n_cars else "bot" for c in self.racing]
        return top_down(self.track, state, labels)

    def close(self) -> None:
        """Disconnect PyBullet."""
        self.world.close()


def single_car(**kwargs: Any) -> RacingEnv:
    """``racing/single-car``: time trial, one learning car ``car_0`` (see ``RacingEnv``)."""
    for key in ("cars", "bots"):
        if key in kwargs:
            raise EnvKwargError(key, f"racing/single-car has one car and no bots; use racing/multi-car for {key}")
    return RacingEnv(cars=1, bots=0, name="racing_single_car_v0", **kwargs)


def multi_car(cars: int = 2, bots: int = 1, reward: str | RewardFn = "avoid_cars", **kwargs: Any) -> RacingEnv:
    """``racing/multi-car``: ``cars`` learning cars sharing one policy plus ``bots`` bots."""
    return RacingEnv(cars=cars, bots=bots, reward=reward, name="racing_multi_car_v0", **kwargs)

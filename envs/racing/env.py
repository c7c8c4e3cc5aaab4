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
One lap of the oval (24.6 m) takes 188 steps at 2 m/s and 364 at the slowest grid speed
(1 m/s), so max_steps=400 suits one-lap oval episodes.

Race types (``race_type``, the simulator's ``RACE_TYPE``): ``time_trial`` (one car alone),
``object_avoidance`` (static boxes, ``obstacles`` of them), ``head_to_bot`` (``bots`` bot cars) and
``head_to_model`` (several learning cars, no bots); ``racing/single-car`` is a time trial by default
and takes the first three, ``racing/multi-car`` is head-to-bot with bots, head-to-model without.
``reverse`` drives every race the other way round (``Track.reversed()``: params ``is_reversed`` True, waypoints
and arc lengths in the driven order).

Boxes and bots follow the simulator (``bots.spread``, ``bots.LaneBots``): placed evenly from the
start line (boxes from ``obstacle_gap`` percent of the track, bots from ``bot_gap`` metres), inner
lane first and alternating, or at random with ``randomize_obstacles`` / ``randomize_bots`` (new
places each reset); bots move at ``bot_speed`` on their lane, changing lanes with ``bot_lane_change``.
In training (``off_track="terminate"``) a learning car that starts within 1 m of a box or bot starts on
the other lane; in races it starts on its grid slot, as in the simulator's evaluation.

Rules (``envs.racing.rules``, the simulator's): a car that is ``crashed`` (touching a box, a barrier
wall or a car ahead of it), ``off_track`` (four wheels off), ``immobilized`` or ``reversed`` ends its
episode (``off_track="terminate"``: DeepRacer's training). With ``off_track="reset"`` (races, the
leaderboard) it is reset instead (``rules.reset_pose``) and waits there the cause's penalty
seconds rounded up to whole steps, and at least one step (the simulator's pause phase), actions
ignored, reward 0, passing through other cars while a penalty above 0 lasts; ``infos[agent]["resets"]``
counts the resets by cause, ``infos[agent]["penalty_s"]`` their penalty seconds; after ``max_resets``
resets (the simulator's ``NUMBER_OF_RESETS``; None: no limit) the next one ends the episode. With
``done_condition="any"`` (the simulator's ``DONE_CONDITION`` default) the first car whose episode ends
ends it for every car (the others are truncated); with ``"all"`` (ours) each car races on to its own end.
``infos[agent]["status"]`` is the simulator's episode status of the step: ``in_progress``,
``lap_complete``, ``pause`` (waiting) or the cause. A car that completes ``laps`` laps terminates.
On an open track (``envs.racing.tracks``) the race is one run from the start to the end line:
``laps`` must be 1, the car that crosses the end line finishes (``laps`` 1, progress 100), and the
default grid starts on the start line, not behind it. ``max_steps`` control steps (15 Hz) truncate.
Progress and laps count only new ground in the driving direction from the car's own start (the start
line for the default time-trial start): reversing, zig-zagging over the line or driving the wrong way
adds nothing (``params.Progress``), measured at the car's front point (DeepRacer's (x, y), 0.14 m ahead of
its centre); the ``reversed`` rule counts the steps that this unwrapped distance falls. Cars whose episode ends
leave ``agents`` and are parked far away; they stay in the other cars' ``objects_*`` params.

Where we depart from the simulator (deepracer-simapp ``bundle/markov``, read against our rules):

- No prepare phase: the simulator's first step of an episode ignores the action (reward 0, status
  ``prepare``); ours acts from the first step, so counts and lap times run one step ahead of its.
- Boxes keep ``obstacle_gap`` percent of the track every episode: the simulator converts the percent
  to metres into the same variable at each reset (``obstacles_agent_ctrl.py``), so its gap shrinks
  from the second episode on and its first box creeps onto the start line.
- "Within 1 m of an object" wraps around the start line and counts boxes and bots; the simulator's
  test (``rollout_agent_ctrl.py`` ``_get_closest_obj``) does not wrap and also counts learning cars.
- A car hit from behind by another still gets its own off-track, reversed and immobilized checks that
  step; the simulator skips them for that step.
- Several learning cars start staggered either side of the centre line, car 0 to the left; the
  simulator's evaluation puts car 0 on the outer lane and car 1 on the inner.
- Lanes (boxes, bots, resets) are offset along each segment's normal, so they step by a few cm at
  waypoints (up to 5.5 cm on reInvent2019); the simulator's lanes are splines.

Our kwargs and the simulator's environment keys:

========================  ===================================  =================================
kwarg                     simulator key                        default (the simulator's)
========================  ===================================  =================================
race_type                 RACE_TYPE                            time_trial (TIME_TRIAL)
reverse                   REVERSE_DIR                          False (False)
obstacles                 NUMBER_OF_OBSTACLES                  3 in object_avoidance (0)
randomize_obstacles       RANDOMIZE_OBSTACLE_LOCATIONS         False (False)
obstacle_gap              MIN_DISTANCE_BETWEEN_OBSTACLES       2.0 % of the track length (2.0)
bots                      NUMBER_OF_BOT_CARS                   1 in head_to_bot (0)
bot_speed                 BOT_CAR_SPEED                        1.5 m/s (0.2)
bot_lane_change           IS_LANE_CHANGE                       False (False)
lane_change_time          LOWER_/UPPER_LANE_CHANGE_TIME        (3.0, 5.0) s (3.0, 5.0)
lane_change_distance      LANE_CHANGE_DISTANCE                 1.0 m (1.0)
bot_gap                   MIN_DISTANCE_BETWEEN_BOT_CARS        2.0 m (2.0)
randomize_bots            RANDOMIZE_BOT_CAR_LOCATIONS          False (False)
bot_penalty               PENALTY_SECONDS (bots' wait)         2.0 s (2.0)
off_track_penalty         OFF_TRACK_PENALTY                    2.0 s (2.0 in evaluation)
collision_penalty         COLLISION_PENALTY                    5.0 s (5.0 in evaluation)
reverse_penalty           REVERSE_PENALTY                      off_track_penalty (the same)
immobilized_penalty       IMMOBILIZED_PENALTY                  0.0 s (0.0)
max_resets                NUMBER_OF_RESETS                     None: no limit (0)
done_condition            DONE_CONDITION                       "all" ("any")
========================  ===================================  =================================

``infos[agent]`` = {"params": the step's DeepRacer params, "laps": completed laps, "time": seconds
since the start (waits included), "resets", "penalty_s", "status"}; the reward is ``reward(params)`` (on a
deep copy; a built-in reward only reads them), so any reward can be recomputed from the stored params. The params
follow DeepRacer's simulator key by key (``params``: a table of every key, its rule in the simulator and ours); the
observation's speed and progress are the measured ones (params ``measured_speed``, ``race_progress``), not
DeepRacer's ``speed`` (commanded) and ``progress`` (per lap).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import fields
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from envs.errors import EnvKwargError, check_live, check_number
from envs.racing import rules
from envs.racing.actions import MAX_SPEED, MAX_STEERING, Actions
from envs.racing.bots import LaneBots, spread
from envs.racing.params import (
    Cars,
    Objects,
    Placement,
    Progress,
    copy_deepracer_params,
    deepracer_params,
    place_on_track,
)
from envs.racing.physics import BOX_SIZE, CAR_LENGTH, CAR_WIDTH, CONTROL_HZ, CarState, World
from envs.racing.rewards import REWARD_TIMEOUT_S, RewardFn, load_reward
from envs.racing.tracks import WALLS, Track, load_track

GRID_GAP = 1.0  # metres between start-grid slots
DEFAULT_CAMERA = (32, 24)
DEFAULT_OBSTACLES = 3
CAR_HALF_SIZE = (CAR_LENGTH / 2, CAR_WIDTH / 2)  # floor footprints, for object_in_camera
BOX_HALF_SIZE = (BOX_SIZE[0] / 2, BOX_SIZE[1] / 2)
_NO_LATERAL = np.zeros(0)  # the bots' lateral offsets in a race without bots (read only)
HIT_CAR, HIT_WALL = -2, -1  # what a crashed car hit, besides a box (its index)
# speed, steering, heading error, lateral / half width, progress -> the observation's scale
_SCALAR_SCALE = np.array([1 / MAX_SPEED, 1 / MAX_STEERING, 1 / np.pi, 1.0, 1 / 100])


class RacingEnv(ParallelEnv):
    """DeepRacer-style racing on PyBullet; see the module docstring for spaces, race types and rules.

    Args:
        track: shipped track name or path to a DeepRacer waypoint ``.npy``.
        cars: learning cars (agents ``car_0`` ..), sharing one policy.
        race_type: "time_trial", "object_avoidance", "head_to_bot" or "head_to_model".
        reverse: race the track against its waypoint order (DeepRacer's reverse direction).
        obstacles, randomize_obstacles, obstacle_gap: object avoidance's boxes (module docstring).
        bots, bot_speed, bot_lane_change, lane_change_time, lane_change_distance, bot_gap,
            randomize_bots, bot_penalty: head-to-bot's bot cars (``bots.LaneBots``).
        off_track_penalty, collision_penalty, reverse_penalty, immobilized_penalty: seconds a reset
            car waits, by cause (``reverse_penalty`` None: ``off_track_penalty``).
        action_space: "discrete" (DeepRacer grid) or "continuous".
        actions: the discrete grid, a list of {"steering_angle", "speed"} dicts.
        reward: built-in reward name, DeepRacer reward file ("f.py" or "f.py:fn") or callable.
        reward_timeout_s: a reward file's import and each call stop the run after this many seconds (0: no bound).
        max_steps: control steps before truncation.
        laps: laps that finish a car's race.
        lidar_rays, lidar_range: number of rays over 360 degrees, and their length (m).
        camera: False, True (32 x 24 grey image) or (width, height): appended to the obs.
        start_positions: arc length (m) of each car's start, learning cars then bots; default a
            grid behind the start line for the cars, ``bots.spread`` for the bots.
        random_start: shift the learning cars' grid by a random arc length at every reset (seeded).
        start_offset: metres past the start line of the grid's first slot.
        substeps, solver_iterations: physics steps per control step, and solver iterations.
        walls: barrier walls ``wall_margin`` metres outside the borders: "auto" (default) only
            where they stay clear of the track (on the shipped tracks: everywhere), "on" everywhere
            (an error where they would cross the track), "off" none (``Track.barriers``).
        wall_margin: metres between the borders and the barrier walls.
        off_track: "terminate" (training) or "reset" (races): what the rules do (module docstring).
        max_resets: resets before the next cause ends the episode (None: no limit).
        done_condition: "all" (each car's episode ends on its own) or "any" (the first car's end ends
            every car's, the others truncated: the simulator's default).
    """

    def __init__(
        self,
        track: str = "oval",
        cars: int = 1,
        race_type: str = "time_trial",
        reverse: bool = False,
        obstacles: int | None = None,
        randomize_obstacles: bool = False,
        obstacle_gap: float = 2.0,
        bots: int | None = None,
        bot_speed: float = 1.5,
        bot_lane_change: bool = False,
        lane_change_time: tuple[float, float] = (3.0, 5.0),
        lane_change_distance: float = 1.0,
        bot_gap: float = 2.0,
        randomize_bots: bool = False,
        bot_penalty: float = 2.0,
        off_track_penalty: float = rules.PENALTIES["off_track"],
        collision_penalty: float = rules.PENALTIES["crashed"],
        reverse_penalty: float | None = None,
        immobilized_penalty: float = rules.PENALTIES["immobilized"],
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
        done_condition: str = "all",
        render_mode: str | None = None,
        name: str = "racing_v0",
    ) -> None:
        bots, obstacles = _race_type_counts(race_type, cars, bots, obstacles)
        for key, value, low in (("cars", cars, 1), ("max_steps", max_steps, 1), ("laps", laps, 1),
                                ("lidar_rays", lidar_rays, 0), ("substeps", substeps, 1),
                                ("solver_iterations", solver_iterations, 1)):  # fmt: skip
            check_number(key, value, low)
        if max_resets is not None:
            check_number("max_resets", max_resets, 0)
        reverse_penalty = off_track_penalty if reverse_penalty is None else reverse_penalty
        penalties = {"off_track": off_track_penalty, "crashed": collision_penalty, "reversed": reverse_penalty,
                     "immobilized": immobilized_penalty}  # fmt: skip
        for key, value in (("reward_timeout_s", reward_timeout_s), ("obstacle_gap", obstacle_gap),
                           ("bot_gap", bot_gap), ("bot_penalty", bot_penalty), ("off_track_penalty", off_track_penalty),
                           ("collision_penalty", collision_penalty), ("reverse_penalty", reverse_penalty),
                           ("immobilized_penalty", immobilized_penalty)):  # fmt: skip
            check_number(key, value, 0, integer=False)
        for key, value in (("bot_speed", bot_speed), ("lidar_range", lidar_range), ("wall_margin", wall_margin),
                           ("lane_change_distance", lane_change_distance)):  # fmt: skip
            check_number(key, value, 0, integer=False, above=True)
        _check_lane_change_time(lane_change_time)
        if render_mode not in (None, "rgb_array"):
            raise EnvKwargError("render_mode", f"expected None or 'rgb_array', got {render_mode!r}")
        if off_track not in ("terminate", "reset"):
            raise EnvKwargError("off_track", f"expected 'terminate' or 'reset', got {off_track!r}")
        if done_condition not in ("all", "any"):
            raise EnvKwargError("done_condition", f"expected 'all' or 'any', got {done_condition!r}")
        if not isinstance(reverse, bool):
            raise EnvKwargError("reverse", f"expected true or false, got {reverse!r}")
        if walls not in WALLS:
            raise EnvKwargError("walls", f"expected one of {list(WALLS)}, got {walls!r}")
        if start_positions is not None and len(start_positions) != cars + bots:
            raise EnvKwargError("start_positions", f"expected {cars + bots} arc lengths (cars + bots)")
        self.metadata = {"name": name, "render_modes": ["rgb_array"], "render_fps": CONTROL_HZ}
        self.track: Track = load_track(track)
        if reverse:
            self.track = self.track.reversed()
        if not self.track.closed and laps != 1:
            raise EnvKwargError("laps", f"track {self.track.name} is open (a race ends at its end line): use laps: 1")
        self.race_type = race_type
        self.n_cars, self.n_bots, self.n_obstacles = cars, bots, obstacles
        self.actions = Actions(action_space, actions)
        self.reward_fn = load_reward(reward, reward_timeout_s)
        self.max_steps, self.laps = max_steps, laps
        self.lidar_angles = (2 * np.pi * np.arange(lidar_rays) / lidar_rays + np.pi) % (2 * np.pi) - np.pi
        self.lidar_range = lidar_range
        self.camera_size = DEFAULT_CAMERA if camera is True else (camera or None)
        self.start_positions = start_positions
        self.random_start, self.start_offset = random_start, start_offset
        self.off_track, self.max_resets, self.done_condition = off_track, max_resets, done_condition
        self.penalties = penalties
        # steps a reset car waits: its penalty rounded up, and at least the step after the reset (the simulator
        # counts the penalty down by the sim time of each step and always spends one step in its pause phase)
        self.hold_steps = {
            cause: max(1, math.ceil(seconds * CONTROL_HZ - 1e-9)) for cause, seconds in penalties.items()
        }
        self.randomize_obstacles, self.obstacle_gap = randomize_obstacles, obstacle_gap
        self.bots = LaneBots(bots, bot_speed, bot_lane_change, tuple(lane_change_time), lane_change_distance,
                             bot_gap, randomize_bots, bot_penalty, 1.0 / CONTROL_HZ)  # fmt: skip
        self.object_speed = bot_speed if bots else None  # objects_speed: the bots' speed in races with bots
        self.render_mode = render_mode
        self.world = World(
            self.track.curbs(),
            self.track.barriers(wall_margin, walls),
            cars + bots,
            self.lidar_angles,
            lidar_range,
            substeps,
            solver_iterations,
            n_bots=bots,
            n_obstacles=obstacles,
        )

        self.possible_agents = [f"car_{i}" for i in range(cars)]
        self._car_of = {agent: car for car, agent in enumerate(self.possible_agents)}  # its car index in the world
        n_pixels = int(np.prod(self.camera_size)) if self.camera_size else 0
        low = np.concatenate([np.zeros(lidar_rays), [-1, -1, -1, -3, 0], np.zeros(n_pixels)])
        high = np.concatenate([np.ones(lidar_rays), [1, 1, 1, 3, 1], np.ones(n_pixels)])
        obs_space = spaces.Box(low.astype(np.float32), high.astype(np.float32), dtype=np.float32)
        self.observation_spaces = dict.fromkeys(self.possible_agents, obs_space)
        self.action_spaces = dict.fromkeys(self.possible_agents, self.actions.space)
        self._low, self._high = obs_space.low.astype(float), obs_space.high.astype(float)
        self._every_car = list(range(cars + bots))
        self._car_half_sizes = np.tile(CAR_HALF_SIZE, (cars + bots, 1))
        self.agents: list[str] = []
        self.racing: list[int] = []  # car indices on the track: live agents, then bots
        self._racing = np.zeros(0, dtype=int)  # the same, as an array
        self.params: dict[str, dict[str, Any]] = {}  # latest params of each agent
        self.obstacles = Objects.none()  # the boxes (object avoidance), after the cars in the objects_* lists
        self.box_s, self.box_lateral = np.zeros(0), np.zeros(0)  # their arc lengths and lane offsets
        self._ghosts: set[int] = set()  # cars passing through the others while they wait

    def observation_space(self, agent: str) -> spaces.Space:
        """The (shared, cached) observation space."""
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        """The (shared, cached) action space."""
        return self.action_spaces[agent]

    # -- episode ------------------------------------------------------------------------------

    def _start_arcs(self) -> np.ndarray:
        """Arc lengths of the learning cars' starts."""
        if self.start_positions is not None:
            arcs = np.asarray(self.start_positions[: self.n_cars], dtype=float)
        else:
            arcs = -GRID_GAP * np.arange(self.n_cars, dtype=float)
        arcs = arcs + self.start_offset  # metres along the centre line from the start line
        if self.random_start:
            arcs = arcs + self.np_random.uniform(0.0, self.track.length)
        if not self.track.closed:  # nothing behind the start line, and short of the end line
            return np.minimum(arcs - min(arcs.min(), 0.0), 0.99 * self.track.length)
        return arcs % self.track.length

    def _place_boxes(self) -> None:
        """Object avoidance: the boxes' places for this episode (``bots.spread``)."""
        if not self.n_obstacles:
            return
        gap = self.obstacle_gap / 100 * self.track.length
        arcs, outer = spread(self.n_obstacles, self.track.length, gap, self.randomize_obstacles, self.np_random)
        lateral = self.track.lane_offset(arcs, outer)
        xy, heading = self.track.offset_points(arcs, lateral)
        for i, ((x, y), yaw) in enumerate(zip(xy.tolist(), heading.tolist(), strict=True)):
            self.world.place_obstacle(i, x, y, yaw)
        self.obstacles = Objects(xy, heading, np.tile(BOX_HALF_SIZE, (self.n_obstacles, 1)))
        self.obstacles.projection(self.track)  # they stand still: projected once
        self.box_s, self.box_lateral = arcs, lateral

    def _place_cars(self, arcs: np.ndarray) -> None:
        """The learning cars on their grid slots, staggered either side of the centre line; in training, on the lane
        away from a box or bot within 1 m instead (``rules.start_pose``: the simulator's evaluation does not move a
        start)."""
        n_total = self.n_cars + self.n_bots
        stagger = 0.22 * self.track.width.min() if n_total > 1 else 0.0
        things_s = np.concatenate([self.box_s, self.bots.arcs % self.track.length])
        things_lateral = np.concatenate([self.box_lateral, self._bot_lateral])
        training = self.off_track == "terminate"
        for car, s in enumerate(arcs.tolist()):
            pose = rules.start_pose(self.track, s, things_s, things_lateral) if training else None
            if pose is None:
                x, y, direction = self.track.point_at(s)
                side = stagger * (1 if car % 2 == 0 else -1)
                pose = (x - side * np.sin(direction), y + side * np.cos(direction), direction)
            self.world.place(car, *pose)

    def reset(
        self, seed: int | None = None, options: dict | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict]]:
        """Place the boxes, bots and cars; returns observations and infos (with params)."""
        if seed is not None or not hasattr(self, "np_random"):
            self.np_random = np.random.default_rng(seed)
        self.world.build()
        for car in list(self._ghosts):
            self._ghost(car, False)
        self._place_boxes()
        bot_arcs = self.start_positions[self.n_cars :] if self.start_positions is not None else None
        self.bots.reset(self.track.length, self.np_random, bot_arcs)
        bots = self._bot_poses()
        if bots is not None:
            self.world.set_bots(bots)
        arcs = self._start_arcs()
        self._place_cars(arcs)
        self.agents = list(self.possible_agents)
        self.resets = {agent: dict.fromkeys(rules.RESET_KEYS.values(), 0) for agent in self.agents}
        n_total = self.n_cars + self.n_bots
        self._set_racing(list(range(n_total)))
        self._body_car = {body: car for car, body in enumerate(self.world.cars)}
        self._box_index = {body: i for i, body in enumerate(self.world.obstacle_ids)}
        self.steering = np.zeros(n_total)  # commanded, degrees
        self.command_speed = np.zeros(n_total)  # commanded, m/s
        self.steps = 0
        self.hold = [0] * self.n_cars  # steps left of each car's penalty wait
        self.hold_pose = np.zeros((self.n_cars, 3))
        self.penalty_s = [0.0] * self.n_cars
        self.progress = Progress(self.track.length, np.concatenate([arcs, self.bots.arcs % self.track.length]),
                                 self.laps, self.track.closed)  # fmt: skip
        place = self._place()
        self.counters = rules.Counters(self._state.xy[: self.n_cars])
        self._last_lateral = place.lateral[: self.n_cars].tolist()  # each car's the step before
        obs, infos, _ = self._observe(place, [False] * self.n_cars)
        for agent, info in infos.items():
            info.update(status="in_progress", resets=dict(self.resets[agent]), penalty_s=0.0)
        return obs, infos

    def _set_racing(self, racing: list[int]) -> None:
        self.racing, self._racing = racing, np.array(racing, dtype=int)
        self._racing_row = {car: r for r, car in enumerate(racing)}  # each racing car's row

    def _bot_poses(self) -> np.ndarray | None:
        """The bot cars' poses now (n_bots, 3): x, y, heading (``LaneBots.poses``); None without bots."""
        if not self.n_bots:
            self._bot_lateral = _NO_LATERAL
            return None
        xy, heading, self._bot_lateral = self.bots.poses(self.track)
        return np.column_stack([xy, heading])

    def _poses(self) -> tuple[np.ndarray, np.ndarray]:
        """Centres and yaws of the racing cars; keeps their ``_state`` and every car's pose (``_cars``)."""
        every = self.world.state(self._every_car)
        self._cars = Objects(every.xy, every.yaw, self._car_half_sizes)
        racing = self._racing
        if len(racing) < len(every.yaw):
            every = CarState(every.xy[racing], every.yaw[racing], every.speed[racing])
        self._state = every
        return every.xy, every.yaw

    def _place(self) -> Placement:
        """The racing cars on the track (``place_on_track``), from every car's pose (``_poses``)."""
        place = place_on_track(self.track, *self._poses())
        if len(self._racing) == len(self._every_car):  # every car races: their centres' projection is known
            self._cars.s, self._cars.lateral = place.s, place.lateral
        return place

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """Apply one action per live agent for 1/15 s (a waiting car stays put); bots move themselves."""
        check_live(self.agents, type(self).__name__)
        cars = self._racing[: len(self.agents)].tolist()  # the live agents' cars, in their order
        wait_list = [self.hold[car] > 0 for car in cars]
        for agent, car, wait in zip(self.agents, cars, wait_list, strict=True):
            if wait:
                self.steering[car] = self.command_speed[car] = 0.0
                self.world.place(car, *self.hold_pose[car])
                continue
            steer, speed = self.actions.decode(actions[agent])
            self.steering[car], self.command_speed[car] = steer, speed
            self.world.control(car, math.radians(steer), speed)
        if self.n_bots:
            self.bots.step()
        self.world.step(self._bot_poses())
        self.steps += 1
        for car, wait in zip(cars, wait_list, strict=True):
            if wait:
                self.hold[car] -= 1
                if not self.hold[car]:  # its wait is over
                    self._ghost(car, False)

        place = self._place()
        crashed, hit = self._crashes(place, wait_list)
        obs, infos, params = self._observe(place, crashed)
        k = len(cars)
        last_s = self.progress.previous_s  # the front points' arc lengths the step before
        running = [not wait for wait in wait_list]
        immobilized, reversed_ = self.counters.update(cars, self._state.xy[:k], self.progress.gained[:k], running)
        on_track = place.any_wheel_on[:k].tolist()
        rewards, terminations, truncations = {}, {}, {}
        truncated = self.steps >= self.max_steps
        for i, (agent, p, car, wait) in enumerate(zip(self.agents, params, cars, wait_list, strict=True)):
            done = infos[agent]["laps"] >= self.laps
            flags = (crashed[i], not on_track[i], immobilized[i], reversed_[i])  # in CAUSES' order
            cause = "" if done or wait else next(itertools.compress(rules.CAUSES, flags), "")
            rewards[agent] = 0.0 if wait else self.reward_fn(p, copy_deepracer_params)
            out = bool(cause) and not self._reset(agent, i, cause, last_s[i], hit[i], place)
            status = cause or ("lap_complete" if done else "pause" if wait else "in_progress")
            infos[agent].update(status=status, resets=dict(self.resets[agent]), penalty_s=self.penalty_s[car])
            terminations[agent] = out or done
            truncations[agent] = truncated
        for car, lateral in zip(cars, place.lateral[:k].tolist(), strict=True):
            self._last_lateral[car] = lateral
        ended = [a for a in self.agents if terminations[a] or truncations[a]]
        if ended and self.done_condition == "any":  # one car's end is every car's: the others are cut short
            truncations = {agent: cut or not terminations[agent] for agent, cut in truncations.items()}
            ended = list(self.agents)
        if ended:
            self._retire(ended)
        return obs, rewards, terminations, truncations, infos

    def _crashes(self, place: Placement, waiting: list[bool]) -> tuple[list[bool], list[int]]:
        """Which live agents crashed and into what (a box's index, ``HIT_WALL`` or ``HIT_CAR``); holds
        the bots when one ran into a learning car from behind (``rules`` module docstring)."""
        k = len(waiting)
        crashed, hit = [False] * k, [HIT_CAR] * k
        for i, (car, wait) in enumerate(zip(self.racing, waiting, strict=False)):
            for body in () if wait else self.world.touching(car):
                other = self._racing_row.get(self._body_car.get(body, -1))
                if body in self._box_index:
                    crashed[i], hit[i] = True, self._box_index[body]
                elif other is None:  # a barrier wall
                    crashed[i], hit[i] = True, max(hit[i], HIT_WALL)
                elif rules.ahead(place.front_s[i], place.front_s[other], self.track.length, self.track.closed):
                    crashed[i] = True
                elif self.racing[other] >= self.n_cars:
                    self.bots.hold()
        return crashed, hit

    def _reset(self, agent: str, i: int, cause: str, last_s: float, hit: int, place: Placement) -> bool:
        """Reset agent ``agent`` (row ``i``) for ``cause`` where the race allows (``rules``); False when its
        episode ends instead. Arc lengths are the front point's (``last_s``: the step before's), as the simulator
        takes its reset place from the progress (``rollout_agent_ctrl.py`` ``spawn_dist``)."""
        car = self._car_of[agent]
        if self.off_track == "terminate" or (
            self.max_resets is not None and sum(self.resets[agent].values()) >= self.max_resets
        ):
            return False
        self.resets[agent][rules.RESET_KEYS[cause]] += 1
        boxes = self.box_s, self.box_lateral
        if cause == "crashed" and hit == HIT_CAR:  # waits where it is
            pose = (float(self._state.xy[i, 0]), float(self._state.xy[i, 1]), float(self._state.yaw[i]))
        elif cause == "crashed" and hit >= 0:  # from where it hit the box
            pose = rules.reset_pose(self.track, float(place.front_s[i]), float(place.lateral[i]), *boxes)
        else:  # from where it was the step before
            pose = rules.reset_pose(self.track, last_s, self._last_lateral[car], *boxes)
        self.world.place(car, *pose)
        self.counters.clear(car, pose[0], pose[1])
        self.hold[car], self.hold_pose[car] = self.hold_steps[cause], pose
        self.penalty_s[car] += self.penalties[cause]
        if self.penalties[cause] > 0:  # the simulator takes a car off the collision list only for a penalty
            self._ghost(car, True)
        return True

    def _ghost(self, car: int, on: bool) -> None:
        if on == (car in self._ghosts):  # already so (a 0 s wait never took it off the collision list)
            return
        self.world.ghost(car, on)
        (self._ghosts.add if on else self._ghosts.discard)(car)

    def _retire(self, agents: list[str]) -> None:
        cars = [self._car_of[a] for a in agents]
        for car in cars:
            self.world.park(car)
        self.agents = [a for a in self.agents if a not in agents]
        self._set_racing([car for car in self.racing if car not in cars] if self.agents else [])

    def _observe(self, place: Placement, crashed: list[bool]) -> tuple[dict, dict, list]:
        """Update progress (of every racing car); observations, infos and params of the live agents (``crashed``:
        one per agent)."""
        state, racing, k = self._state, self._racing, len(self.agents)
        self.progress.update(racing, place.front_s)
        agents, steering, percent = racing[:k], self.steering[racing[:k]], self.progress.percent(racing[:k])
        cars = Cars(agents, _rows(state, k), _rows(place, k), steering, self.command_speed[agents],
                    self.progress.lap_percent(agents), percent, crashed)  # fmt: skip
        params = deepracer_params(self.track, cars, self._cars + self.obstacles, self.steps, self.object_speed)
        r = len(self.lidar_angles)
        vector = np.empty((k, len(self._low)))  # lidar, the scalars, the camera's pixels; clipped to the space
        np.divide(self.world.lidar(state.xy[:k], state.yaw[:k]), self.lidar_range, out=vector[:, :r])
        scalars = np.array([cars.state.speed, steering, cars.place.heading_error,
                            cars.place.lateral / cars.place.half_width, percent])  # fmt: skip
        np.multiply(scalars.T, _SCALAR_SCALE, out=vector[:, r : r + len(_SCALAR_SCALE)])
        if self.camera_size:
            vector[:, r + len(_SCALAR_SCALE) :] = [
                self.world.camera(car, state.xy[i], state.yaw[i], *self.camera_size).ravel()
                for i, car in enumerate(self.racing[:k])
            ]
        np.maximum(vector, self._low, out=vector)
        vector = np.minimum(vector, self._high, out=vector).astype(np.float32)
        laps = self.progress.laps(agents).tolist()
        time = self.steps / CONTROL_HZ
        obs, infos = {}, {}
        for i, agent in enumerate(self.agents):
            obs[agent] = vector[i]
            infos[agent] = {"params": params[i], "laps": laps[i], "time": time}
            self.params[agent] = params[i]
        return obs, infos, params

    # -- rendering ------------------------------------------------------------------------------

    def render(self) -> np.ndarray | None:
        """Top-down RGB image (H, W, 3) uint8 of the track, the boxes and the racing cars."""
        if self.render_mode != "rgb_array":
            return None
        from envs.racing.render import top_down

        state = self.world.state(self.racing) if self.racing else None
        labels = [f"car_{c}" if c < self.n_cars else "bot" for c in self.racing]
        return top_down(self.track, state, labels, self.obstacles)

    def close(self) -> None:
        """Disconnect PyBullet."""
        self.world.close()


def _rows(arrays: Any, k: int) -> Any:
    """The first ``k`` rows of a dataclass of per-car arrays (a ``Placement``, a ``CarState``): the live agents'
    (itself when it has ``k`` rows)."""
    names = _field_names(type(arrays))
    if len(getattr(arrays, names[0])) == k:
        return arrays
    return type(arrays)(*(getattr(arrays, name)[:k] for name in names))


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))


def _race_type_counts(race_type: str, cars: int, bots: int | None, obstacles: int | None) -> tuple[int, int]:
    """(bots, obstacles) of a race type, checked: only head_to_bot has bots (1 unless given), only
    object_avoidance boxes (``DEFAULT_OBSTACLES`` unless given), head_to_model 2+ cars."""
    if race_type not in rules.RACE_TYPES:
        raise EnvKwargError("race_type", f"expected one of {list(rules.RACE_TYPES)}, got {race_type!r}")
    if race_type == "head_to_bot":
        bots = 1 if bots is None else bots
        check_number("bots", bots, 1)
    elif bots:
        raise EnvKwargError("bots", f"only race_type head_to_bot has bot cars, not {race_type}")
    if race_type == "object_avoidance":
        obstacles = DEFAULT_OBSTACLES if obstacles is None else obstacles
        check_number("obstacles", obstacles, 1)
    elif obstacles:
        raise EnvKwargError("obstacles", f"only race_type object_avoidance has obstacles, not {race_type}")
    if race_type == "head_to_model" and cars < 2:
        raise EnvKwargError("cars", "head_to_model races 2 or more learning cars")
    if race_type == "time_trial" and cars != 1:
        raise EnvKwargError("cars", "a time_trial has one car; race several with head_to_model")
    return bots or 0, obstacles or 0


def _check_lane_change_time(value: Any) -> None:
    ok = isinstance(value, (list, tuple)) and len(value) == 2
    if ok:
        for bound in value:
            check_number("lane_change_time", bound, 0, integer=False)
    if not ok or value[0] > value[1]:
        raise EnvKwargError("lane_change_time", f"expected (low, high) seconds with low <= high, got {value!r}")


def single_car(race_type: str = "time_trial", **kwargs: Any) -> RacingEnv:
    """``racing/single-car``: one learning car ``car_0`` in a time trial (default), object avoidance or
    head-to-bot race (see ``RacingEnv``)."""
    if "cars" in kwargs:
        raise EnvKwargError("cars", "racing/single-car has one car; use racing/multi-car for several")
    if race_type == "head_to_model":
        raise EnvKwargError("race_type", "head_to_model races several cars: use racing/multi-car")
    return RacingEnv(cars=1, race_type=race_type, name="racing_single_car_v0", **kwargs)


def multi_car(
    cars: int = 2, bots: int | None = None, race_type: str | None = None, reward: str | RewardFn = "avoid_cars",
    **kwargs: Any,
) -> RacingEnv:  # fmt: skip
    """``racing/multi-car``: ``cars`` learning cars sharing one policy; race type head_to_bot with
    ``bots`` bot cars (1 by default), head_to_model when ``bots`` is 0, or as given."""
    if race_type is None:
        race_type = "head_to_model" if bots == 0 else "head_to_bot"
    return RacingEnv(cars=cars, bots=bots, race_type=race_type, reward=reward, name="racing_multi_car_v0", **kwargs)

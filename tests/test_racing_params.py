"""DeepRacer's params as the simulator fills them: each rule of envs/racing/params.py, on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

import envs
from envs.errors import EnvKwargError
from envs.racing import PurePursuit, single_car
from envs.racing import params as params_module
from envs.racing.params import (
    DEEPRACER_KEYS,
    PARAM_KEYS,
    Cars,
    Objects,
    Progress,
    copy_deepracer_params,
    deepracer_params,
    place_on_track,
)
from envs.racing.physics import PARK_DISTANCE, CarState
from envs.racing.rewards import REWARDS, copy_params, load_reward
from envs.racing.tracks import Track, load_track

# simapp bundle/markov/agent_ctrl/constants.py, RewardParam: every key the simulator passes
SIMULATOR_KEYS = {
    "all_wheels_on_track", "x", "y", "heading", "distance_from_center", "projection_distance", "progress", "steps",
    "speed", "steering_angle", "track_width", "track_length", "waypoints", "closest_waypoints", "is_left_of_center",
    "is_reversed", "closest_objects", "objects_location", "objects_left_of_center", "object_in_camera",
    "objects_speed", "objects_heading", "objects_distance_from_center", "objects_distance", "is_crashed",
    "is_offtrack", "sim_time",
}  # fmt: skip


def test_keys_are_the_simulators_plus_two_measured_ones_and_the_table_lists_each():
    assert set(DEEPRACER_KEYS) == SIMULATOR_KEYS and len(DEEPRACER_KEYS) == len(SIMULATOR_KEYS)
    assert set(PARAM_KEYS) - SIMULATOR_KEYS == {"measured_speed", "race_progress"}
    table_keys = {line.split("  ")[0] for line in params_module.__doc__.splitlines() if line[:1].isalpha()}
    table_keys = {key for cell in table_keys for key in cell.split(", ")}
    assert set(PARAM_KEYS) <= table_keys


# -- progress: per lap, relative to the car's start, falling when reversing ------------------------------------


def test_progress_per_lap_falls_when_reversing_and_restarts_after_a_lap():
    progress = Progress(20.0, np.array([0.0]), laps=2)
    car = np.array([0])

    def at(s):
        progress.update(car, np.array([s]))
        return progress.lap_percent(car)[0], progress.percent(car)[0], progress.laps(car)[0]

    assert at(1.0) == pytest.approx((5.0, 2.5, 0))
    assert at(0.5) == pytest.approx((2.5, 2.5, 0))  # reversing: DeepRacer's progress falls, the race's does not
    assert at(19.5) == pytest.approx((-2.5, 2.5, 0))  # behind the start: negative
    for s in (0.0, 5.0, 10.0, 15.0):
        at(s)
    assert at(19.9) == pytest.approx((99.5, 49.75, 0))
    assert at(0.3) == pytest.approx((100.0, 50.75, 1))  # the step a lap completes: 100
    assert at(0.6) == pytest.approx((3.0, 51.5, 1))  # then counted from the start line again
    assert at(19.8) == pytest.approx((-1.0, 51.5, 1))  # back over the line: negative again, laps kept


def test_two_lap_race_progress_per_lap_and_race_progress_over_the_race():
    env = single_car(action_space="continuous", laps=2, max_steps=800)
    env.reset(seed=0)
    driver = PurePursuit(env.actions, speed=2.0)
    rows = []
    while env.agents:
        _, _, terminations, _, infos = env.step({"car_0": driver.act(env, "car_0")})
        p = infos["car_0"]["params"]
        rows.append((p["progress"], p["race_progress"], infos["car_0"]["laps"]))
    progress, race, laps = map(np.array, zip(*rows, strict=True))
    first = int(np.argmax(laps == 1))  # the step lap 1 completes
    assert progress[first] == 100.0 and race[first] == pytest.approx(50.0, abs=0.3)  # within a step past it
    assert 0.0 < progress[first + 1] < 2.0 and race[first + 1] > 50.0
    assert np.all(np.diff(progress[:first]) > 0.0) and np.all(np.diff(progress[first + 1 :]) > 0.0)
    assert progress[-1] == 100.0 and race[-1] == 100.0 and laps[-1] == 2 and terminations["car_0"]


# -- speed: the commanded action -----------------------------------------------------------------------------


def test_speed_is_the_commanded_speed_and_measured_speed_the_physics():
    env = envs.make("racing/multi-car", cars=1, bots=1, bot_speed=1.2)
    _, infos = env.reset(seed=0)
    assert infos["car_0"]["params"]["speed"] == 0.0  # nothing commanded yet
    *_, infos = env.step({"car_0": env.actions.encode(0.0, 3.0)})
    params = infos["car_0"]["params"]
    assert params["speed"] == 3.0  # step 1 from rest: the action's speed ...
    assert 0.2 < params["measured_speed"] < 1.0  # ... not what the car does yet
    assert params["objects_speed"] == [1.2]  # the bot's: its set speed, in a race with bots


# -- waypoints, closest_waypoints, track_width, x/y at the front ---------------------------------------------------


def test_waypoints_keep_the_closing_point_and_closest_waypoints_can_name_it():
    env = single_car(start_positions=[-0.3])  # centre 0.3 m before the line, front 0.16 m before it
    _, infos = env.reset(seed=0)
    params = infos["car_0"]["params"]
    n = len(env.track.centre)
    assert len(params["waypoints"]) == n + 1 and params["waypoints"][n] == params["waypoints"][0]
    assert params["closest_waypoints"] == [n - 1, n]
    assert params["projection_distance"] == pytest.approx(params["track_length"] - 0.16, abs=1e-3)


def _alone(track, xy, yaw=0.0, others=(), half=0.001, bot_speed=None, object_yaw=None):
    """The params of one car at ``xy`` with obstacles at ``others`` (rest), from the params module alone."""
    car_xy, car_yaw = np.array([xy], dtype=float), np.array([yaw])
    cars = Cars(np.array([0]), CarState(car_xy, car_yaw, np.zeros(1)), place_on_track(track, car_xy, car_yaw),
                np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1, dtype=bool))  # fmt: skip
    every = np.vstack([car_xy, np.array(others, dtype=float).reshape(-1, 2)])
    yaws = np.zeros(len(every)) if object_yaw is None else np.array([yaw, *object_yaw])
    objects = Objects(every, yaws, np.full((len(every), 2), half))
    return deepracer_params(track, cars, objects, 0, bot_speed)[0]


def test_x_y_are_the_front_point_and_track_width_is_interpolated():
    rows = [(x, 0.0, x, 0.5 * w, x, -0.5 * w) for x, w in ((0.0, 0.6), (2.0, 0.8), (4.0, 1.0))]
    track = Track("widening", np.array(rows), closed=False)
    params = _alone(track, (0.86, 0.1))  # centre; the front point is 0.14 m ahead, at x = 1.0
    assert (params["x"], params["y"]) == pytest.approx((1.0, 0.1))
    assert params["distance_from_center"] == pytest.approx(0.1) and params["is_left_of_center"]
    assert params["projection_distance"] == pytest.approx(1.0)
    assert params["track_width"] == pytest.approx(0.7)  # halfway between 0.6 and 0.8
    assert params["closest_waypoints"] == [0, 1] and params["waypoints"] == [(0.0, 0.0), (2.0, 0.0), (4.0, 0.0)]
    assert _alone(track, (0.36, 0.1))["track_width"] == pytest.approx(0.65)  # a quarter of the way: 0.6 + 0.05


def test_half_width_is_the_border_on_the_cars_side():
    rows = [(x, 0.0, x, 0.2, x, -0.4) for x in (0.0, 2.0, 4.0)]  # left border 0.2 m, right 0.4 m from the centre
    track = Track("lopsided", np.array(rows), closed=False)
    place = place_on_track(track, np.array([[1.0, 0.1], [1.0, -0.1]]), np.zeros(2))
    assert place.half_width == pytest.approx([0.2, 0.4])
    assert place.lateral == pytest.approx([0.1, -0.1])


# -- objects: fixed length, order, closest, camera, speed and heading ---------------------------------------------


def test_closest_objects_by_arc_length_around_the_loop():
    track = load_track("oval")  # the first straight runs along y = 0 (within 2.5 mm) from x = 0 to 6
    params = _alone(track, (2.0, 0.0), others=[(1.0, 0.2), (3.0, -0.3), (5.0, -0.1)])
    assert params["closest_objects"] == [0, 1]  # behind: the object at x = 1, ahead: at x = 3
    assert params["objects_location"] == [[1.0, 0.2], [3.0, -0.3], [5.0, -0.1]]
    assert params["objects_distance"] == pytest.approx([1.0, 3.0, 5.0], abs=1e-3)
    assert params["objects_distance_from_center"] == pytest.approx([0.2, 0.3, 0.1], abs=3e-3)  # y = -0.0004 x
    assert params["objects_left_of_center"] == [True, False, False]
    assert _alone(track, (5.5, 0.0), others=[(1.0, 0.0), (3.0, 0.0), (5.0, 0.0)])["closest_objects"] == [2, 0]


@pytest.mark.parametrize(
    ("obstacle", "yaw", "seen"),
    [
        ((3.0, 0.0), 0.0, True),  # 1 m ahead of the car's centre at (2, 0)
        ((3.0, 0.5), 0.0, True),  # inside the 65-degree field of view (|left| <= 0.545 m at this depth)
        ((3.0, 0.6), 0.0, False),  # outside it (our old rule, 60 degrees either side, saw it)
        ((2.4, 0.0), 0.0, True),
        ((2.3, 0.0), 0.0, False),  # before the near plane, 0.2 m along the camera's axis
        ((3.0, 0.0), math.pi, False),  # the car faces back: the next object is behind its camera
    ],
)
def test_object_in_camera_is_the_simulators_frustum(obstacle, yaw, seen):
    params = _alone(load_track("oval"), (2.0, 0.0), yaw, others=[obstacle])
    assert params["closest_objects"] == [0, 0] and params["object_in_camera"] is seen


def test_object_in_camera_looks_at_the_next_object_only():
    track = load_track("oval")
    hidden_next, visible_after = (3.0, 0.6), (4.0, 0.0)
    assert not _alone(track, (2.0, 0.0), others=[hidden_next, visible_after])["object_in_camera"]
    assert _alone(track, (2.0, 0.0), others=[(2.9, 0.0), visible_after])["object_in_camera"]


def test_objects_speed_and_heading_only_in_races_with_bots():
    track = load_track("oval")
    without = _alone(track, (2.0, 0.0), others=[(3.0, 0.0)], object_yaw=[0.4])
    assert without["objects_speed"] == [0.0] and without["objects_heading"] == [0.0]
    with_bots = _alone(track, (2.0, 0.0), others=[(3.0, 0.0)], object_yaw=[0.4], bot_speed=1.2)
    assert with_bots["objects_speed"] == [1.2] and with_bots["objects_heading"] == [0.4]  # radians, as simapp


def test_objects_keep_every_car_parked_ones_at_their_parking_spot():
    env = envs.make("racing/multi-car", cars=2, bots=1, bot_speed=1.0)
    env.reset(seed=0)
    go = env.actions.encode(0.0, 1.0)
    env.world.place(1, 3.0, -3.0, 0.0)  # car_1 put off the track: it is out and parked
    *_, infos = env.step(dict.fromkeys(env.agents, go))
    assert env.agents == ["car_0"] and env.racing == [0, 2]  # the bot drives on
    for _ in range(3):
        *_, infos = env.step({"car_0": go})
    params = infos["car_0"]["params"]
    parked = [PARK_DISTANCE + 10, PARK_DISTANCE]  # physics.World.park
    assert np.allclose(params["objects_location"], [parked, env.world.state([2]).xy[0]], atol=0.01)
    for key in ("objects_heading", "objects_speed", "objects_distance", "objects_distance_from_center",
                "objects_left_of_center"):  # fmt: skip
        assert len(params[key]) == 2, key
    assert params["objects_speed"] == [1.0, 1.0]


def test_multi_car_objects_are_every_other_car_in_car_order():
    env = envs.make("racing/multi-car", cars=2, bots=1)
    _, infos = env.reset(seed=0)
    params = infos["car_0"]["params"]
    # grid: car_0 on the start line, car_1 1 m behind, the bot 2 m past the line (MIN_DISTANCE_BETWEEN_BOT_CARS);
    # car_0's objects: [car_1, bot]
    assert params["closest_objects"] == [0, 1]
    car_1_s, bot_s = params["objects_distance"]
    assert bot_s == pytest.approx(2.0, abs=1e-6)
    assert car_1_s == pytest.approx(env.track.length - 1.0, abs=1e-6)
    assert params["object_in_camera"]  # the bot, 1.86 m ahead of car_0's front, 3 cm to the left
    assert params["objects_speed"] == [1.5, 1.5]  # with bots: the bots' speed for every object
    heading = math.radians(params["heading"])  # car_0 seen by car_1: its centre, 0.14 m behind its (x, y)
    centre = [params["x"] - 0.14 * math.cos(heading), params["y"] - 0.14 * math.sin(heading)]
    assert infos["car_1"]["params"]["objects_location"][0] == pytest.approx(centre, abs=1e-6)


# -- is_reversed -------------------------------------------------------------------------------------------------


def test_reverse_races_the_track_against_its_waypoint_order():
    forward = load_track("oval")
    env = single_car(action_space="continuous", reverse=True)
    _, infos = env.reset(seed=0)
    params = infos["car_0"]["params"]
    assert params["is_reversed"]
    assert params["waypoints"][:3] == [forward.waypoint_list[0], forward.waypoint_list[-2], forward.waypoint_list[-3]]
    # the oval's start runs east, coming out of its last bend: reversed, west into that bend
    assert params["heading"] == pytest.approx(math.degrees(env.track.seg_angle[0]), abs=0.01)
    assert 170.0 < abs(params["heading"]) < 180.0
    driver = PurePursuit(env.actions, speed=2.0)
    while env.agents:
        *_, infos = env.step({"car_0": driver.act(env, "car_0")})
    assert infos["car_0"]["laps"] == 1 and infos["car_0"]["params"]["progress"] == 100.0


def test_reverse_must_be_a_bool():
    with pytest.raises(EnvKwargError, match="reverse: expected true or false"):
        single_car(reverse="yes")


# -- the reward's copy --------------------------------------------------------------------------------------------


def _mutable(value):
    """Every dict and list inside ``value``, itself included."""
    if isinstance(value, dict | list):
        yield value
        for item in value.values() if isinstance(value, dict) else value:
            yield from _mutable(item)


@pytest.mark.parametrize(
    "kwargs",
    [{"cars": 2, "bots": 1}, {"race_type": "object_avoidance"}, {"cars": 3, "bots": 0}, {}],
)
def test_copy_params_and_the_envs_copy_are_exact_deep_copies(kwargs):
    env = envs.make("racing/multi-car", **kwargs) if "bots" in kwargs else single_car(**kwargs)
    _, infos = env.reset(seed=0)
    params = infos["car_0"]["params"]
    originals = {id(v) for v in _mutable(params)}
    for copy in (copy_params, copy_deepracer_params):  # the general one, and the env's for the dicts it builds
        copied = copy(params)
        assert copied == params and list(copied) == list(params)
        assert [type(v) for v in copied.values()] == [type(v) for v in params.values()]
        assert not originals & {id(v) for v in _mutable(copied)}
    # the env's copy knows one list of lists; any other list holds numbers, bools or tuples
    nested = {key for key, value in params.items() if isinstance(value, list) and value and isinstance(value[0], list)}
    assert nested <= {"objects_location"}
    odd = {"a": [(1.0, [2.0])], "b": [[1, "x"], None]}  # a list inside a tuple is copied too
    assert copy_params(odd) == odd and copy_params(odd)["a"][0][1] is not odd["a"][0][1]


def test_the_envs_known_projections_are_the_tracks():
    env = envs.make("racing/multi-car", cars=3, bots=1, race_type="head_to_bot", max_steps=50)
    env.reset(seed=0)
    for _ in range(20):  # the cars' centres, projected once in place_on_track, and the boxes' at reset
        env.step({agent: env.actions.encode(5.0, 2.0) for agent in env.agents})
        _, s, lateral = env.track.project(env._cars.xy)
        assert (env._cars.s == s).all() and (env._cars.lateral == lateral).all()
    boxes = envs.make("racing/single-car", race_type="object_avoidance")
    boxes.reset(seed=0)
    _, s, lateral = boxes.track.project(boxes.obstacles.xy)
    assert (boxes.obstacles.s == s).all() and (boxes.obstacles.lateral == lateral).all()


VANDAL = """
def reward_function(params):  # as a shared community reward file does at low speed
    del params["waypoints"]
    params["objects_location"].clear()
    params["x"] = 1e9
    return 1.0
"""


@pytest.mark.parametrize("given_as", ["callable", "file"])
def test_a_reward_that_edits_params_changes_nothing_for_the_env_and_the_bots(given_as, tmp_path):
    if given_as == "file":
        vandal = tmp_path / "vandal.py"
        vandal.write_text(VANDAL)
        vandal = str(vandal)
    else:
        scope: dict = {}
        exec(VANDAL, scope)
        vandal = scope["reward_function"]

    env = envs.make("racing/multi-car", cars=1, bots=2, reward=vandal, max_steps=150)
    env.reset(seed=0)
    driver = PurePursuit(env.actions, speed=2.0)
    while env.agents:  # the bots' driver and ours read the env's dicts: both need the waypoints
        *_, infos = env.step({"car_0": driver.act(env, "car_0")})
        params = infos["car_0"]["params"]
        assert "waypoints" in params and len(params["objects_location"]) == 2 and params["x"] < 100
    assert load_reward(vandal)(params) == 1.0 and "waypoints" in params


@pytest.mark.parametrize("name", sorted(REWARDS))
def test_a_built_in_reward_only_reads_its_params(name):
    # built-ins get the env's params uncopied (CheckedReward.read_only): one that edited them would edit the infos
    env = envs.make("racing/multi-car", cars=2, bots=1, reward=name, max_steps=40)
    env.reset(seed=0)
    driver = PurePursuit(env.actions, speed=2.0)
    while env.agents:
        *_, infos = env.step({agent: driver.act(env, agent) for agent in env.agents})
        for info in infos.values():
            before = copy_params(info["params"])
            REWARDS[name](info["params"])
            assert info["params"] == before


def test_reverse_on_an_open_track_starts_at_its_end_line():
    path = "envs/racing/tracks/Straight_track.npy"
    forward = load_track(path)
    env = single_car(track=path, reverse=True, action_space="continuous", max_steps=1000)
    _, infos = env.reset(seed=0)
    assert infos["car_0"]["params"]["waypoints"] == forward.waypoint_list[::-1]
    driver = PurePursuit(env.actions, speed=2.0)
    while env.agents:
        *_, infos = env.step({"car_0": driver.act(env, "car_0")})
    params = infos["car_0"]["params"]
    assert infos["car_0"]["laps"] == 1 and params["progress"] == 100.0  # at the forward track's start line
    assert math.dist((params["x"], params["y"]), forward.waypoint_list[0]) < 0.15

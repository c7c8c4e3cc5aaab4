"""DeepRacer reward functions: built-ins, a user's reward file, and clear errors."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import pytest

from envs.errors import EnvInputError
from envs.racing import REWARDS, RewardFunctionError, load_reward, single_car
from envs.racing.params import PARAM_KEYS

# AWS DeepRacer's documented example 1, "follow the center line", as a user would paste it, and a second function.
FOLLOW_CENTER_LINE = Path(__file__).parent / "data" / "deepracer_rewards" / "follow_center_line.py"
SPEEDY = """

def speedy(params):
    return params['speed'] * 2.0
"""


def _params(**overrides):
    params = {
        "all_wheels_on_track": True, "x": 1.0, "y": 0.1, "distance_from_center": 0.1,
        "is_left_of_center": True, "heading": 0.0, "progress": 10.0, "steps": 20.0,
        "speed": 2.0, "steering_angle": 0.0, "track_width": 0.9, "track_length": 24.5,
        "waypoints": [(0.0, 0.0), (1.0, 0.0), (0.0, 0.0)], "closest_waypoints": [0, 1],
        "is_offtrack": False, "is_crashed": False, "is_reversed": False, "projection_distance": 1.0,
        "closest_objects": [0, 0], "objects_location": [], "objects_heading": [],
        "objects_speed": [], "objects_distance": [], "objects_left_of_center": [],
        "objects_distance_from_center": [], "object_in_camera": False, "sim_time": 1.33,
        "measured_speed": 1.9, "race_progress": 10.0,
    }  # fmt: skip
    params.update(overrides)
    assert set(params) == set(PARAM_KEYS)
    return params


def test_builtin_rewards():
    assert set(REWARDS) >= {"centerline", "speed_progress", "smooth_steering", "avoid_cars"}
    p = _params()
    assert REWARDS["centerline"](p) == 0.5  # 0.1 m <= 0.25 * 0.9 m
    assert REWARDS["centerline"](_params(distance_from_center=0.05)) == 1.0
    assert REWARDS["speed_progress"](p) == pytest.approx(2.0 / 4.0 + 10.0 / 20)  # commanded speed, lap progress
    assert REWARDS["speed_progress"](_params(race_progress=0.0, measured_speed=4.0)) == REWARDS["speed_progress"](p)
    assert REWARDS["smooth_steering"](_params(steering_angle=-20.0)) == pytest.approx(0.4)
    assert REWARDS["smooth_steering"](_params(steering_angle=10.0)) == 0.5
    for reward in REWARDS.values():
        assert reward(_params(is_offtrack=True, all_wheels_on_track=False)) == 1e-3


def test_avoid_cars_punishes_a_car_close_ahead_in_the_same_lane():
    alone = REWARDS["avoid_cars"](_params())
    near = _params(
        closest_objects=[0, 1], objects_location=[[-3.0, 0.1], [1.4, 0.1]],
        objects_left_of_center=[True, True], objects_heading=[0.0, 0.0],
        objects_speed=[1.0, 1.0], objects_distance=[20.0, 1.4], objects_distance_from_center=[0.1, 0.1],
    )  # fmt: skip
    other_lane = {**near, "objects_left_of_center": [True, False]}
    assert alone == 1.0 + 4.0
    assert REWARDS["avoid_cars"](near) == pytest.approx(1.0 + 4.0 * 0.2)  # 0.4 m ahead
    assert REWARDS["avoid_cars"](other_lane) == alone


def test_user_reward_file_runs_unchanged(tmp_path):
    path = tmp_path / "my_reward.py"
    path.write_text(FOLLOW_CENTER_LINE.read_text() + SPEEDY)
    env = single_car(reward=str(path))
    reference = single_car(reward="centerline")
    for e in (env, reference):
        e.reset(seed=0)
    straight = env.actions.encode(5.0, 2.0)
    for _ in range(20):
        _, rewards, *_, infos = env.step({"car_0": straight})
        _, ref_rewards, *_ = reference.step({"car_0": straight})
        assert rewards == ref_rewards
        assert rewards["car_0"] == REWARDS["centerline"](infos["car_0"]["params"])
    assert load_reward(path)(_params(distance_from_center=0.0)) == 1.0  # a Path works too
    speedy = load_reward(f"{path}:speedy")
    assert speedy(_params(speed=1.5)) == 3.0
    assert pickle.loads(pickle.dumps(speedy))(_params(speed=1.0)) == 2.0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("def reward_function(params):\n    return params['no_such_key']\n", "reads params['no_such_key']"),
        (
            "def reward_function(params):\n    return params['distance_from_centre']\n",
            "(did you mean 'distance_from_center'?); valid keys: all_wheels_on_track, ",
        ),
        ("def reward_function(params):\n    return 'fast'\n", "'fast', not a finite number"),
        ("def reward_function(params):\n    return float('nan')\n", "nan, not a finite number"),
        ("def reward_function(params):\n    return None\n", "None, not a finite number"),
    ],
)
def test_broken_reward_file_is_a_clear_error(tmp_path, body, message):
    path = tmp_path / "broken.py"
    path.write_text(body)
    env = single_car(reward=str(path))
    env.reset(seed=0)
    with pytest.raises(RewardFunctionError) as err:
        env.step({"car_0": 0})
    text = str(err.value)
    assert str(path) in text and message in text
    assert "all_wheels_on_track" in text and "waypoints" in text  # the keys it could have read
    assert isinstance(err.value, EnvInputError)  # a user error: the command prints one line


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("def reward(params):\n    return 1.0\n", "defines no function reward_function"),
        ("import no_such_module_xyz\n", "failed to import"),
        ("def reward_function(params)\n", "line 1: syntax error"),
    ],
)
def test_reward_file_without_reward_function_fails_at_construction(tmp_path, body, message):
    path = tmp_path / "bad.py"
    path.write_text(textwrap.dedent(body))
    with pytest.raises(RewardFunctionError, match=message) as err:
        single_car(reward=str(path))
    assert str(path) in str(err.value)


def test_unknown_reward_name_lists_the_choices():
    with pytest.raises(RewardFunctionError, match="centerline"):
        load_reward("fastest")
    with pytest.raises(RewardFunctionError, match="does not exist"):
        load_reward("/no/such/reward.py")


def test_callable_reward_and_relabelling_from_stored_params():
    env = single_car(reward=lambda params: params["speed"])
    env.reset(seed=0)
    for _ in range(5):
        _, rewards, *_, infos = env.step({"car_0": 7})
    params = infos["car_0"]["params"]
    assert rewards["car_0"] == params["speed"] > 0.5
    assert REWARDS["centerline"](params) == 1.0  # the same step, relabelled


def test_reward_beyond_1e5_is_a_clear_error_naming_the_file(tmp_path):
    path = tmp_path / "huge.py"
    path.write_text("def reward_function(params):\n    return 1e5 + 1 if params['steps'] > 1 else -1e5\n")
    env = single_car(reward=str(path))
    env.reset(seed=0)
    _, rewards, *_ = env.step({"car_0": 7})
    assert rewards["car_0"] == -1e5  # the simulator's range includes its ends
    with pytest.raises(RewardFunctionError) as err:
        env.step({"car_0": 7})
    assert str(err.value) == (
        f"reward file {path} returned 100001.0, outside DeepRacer's range [-1e5, 1e5] (its simulator stops there)"
    )


def test_reward_beyond_1e5_names_a_callable():
    def runaway(params):
        return -2e5

    with pytest.raises(RewardFunctionError, match=r"^runaway returned -200000.0, outside DeepRacer's range"):
        load_reward(runaway)(_params())

"""DeepRacer's race types and rules: boxes, bot cars, the four reset causes, penalty seconds, reverse
direction (``envs.racing.rules``, ``envs.racing.bots``; the values are the simulator's)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

import envs
from envs.errors import EnvKwargError
from envs.racing import PurePursuit, single_car
from envs.racing.params import FRONT_OFFSET
from envs.racing.rules import lane_pose
from envs.racing.tracks import load_track

OVAL = load_track("oval")
L = OVAL.length  # 24.55 m; its inner border is on the left, 0.45 m from the centre: lanes at +-0.225 m
STOP_GO = [{"steering_angle": 0.0, "speed": 0.0}, {"steering_angle": 0.0, "speed": 1.0}]


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [
        ("racing/single-car", {"race_type": "time_trial", "off_track": "reset"}),
        ("racing/single-car", {"race_type": "object_avoidance", "randomize_obstacles": True}),
        ("racing/single-car", {"race_type": "object_avoidance", "obstacles": 6, "off_track": "reset"}),
        ("racing/single-car", {"race_type": "head_to_bot", "bots": 3, "bot_lane_change": True}),
        ("racing/multi-car", {"race_type": "head_to_bot", "cars": 2, "bots": 2, "off_track": "reset"}),
        ("racing/multi-car", {"race_type": "head_to_model", "cars": 3, "camera": (8, 6)}),
        ("racing/single-car", {"reverse": True, "race_type": "object_avoidance"}),
    ],
)
def test_parallel_api_on_every_race_type(env_id, kwargs):
    env = envs.make(env_id, max_steps=40, **kwargs)
    assert env.race_type == kwargs["race_type"]
    parallel_api_test(env, num_cycles=60)


def test_race_type_defaults_and_bad_kwargs():
    assert envs.make("racing/multi-car").race_type == "head_to_bot"  # 2 cars + 1 bot
    assert envs.make("racing/multi-car", bots=0).race_type == "head_to_model"
    assert envs.make("racing/single-car", race_type="object_avoidance").n_obstacles == 3
    assert envs.make("racing/single-car", race_type="head_to_bot").n_bots == 1
    for kwargs, message in [
        ({"race_type": "drag"}, "race_type: expected one of"),
        ({"bots": 2}, "bots: only race_type head_to_bot has bot cars, not time_trial"),
        ({"race_type": "head_to_bot", "obstacles": 2}, "obstacles: only race_type object_avoidance"),
        ({"race_type": "head_to_bot", "lane_change_time": (5.0, 3.0)}, "lane_change_time: expected (low, high)"),
        ({"race_type": "head_to_model"}, "race_type: head_to_model races several cars"),
        ({"off_track_penalty": -1.0}, "off_track_penalty: expected a number >= 0"),
    ]:
        with pytest.raises(EnvKwargError, match=re.escape(message)):
            envs.make("racing/single-car", **kwargs)
    with pytest.raises(EnvKwargError, match="cars: head_to_model races 2 or more"):
        envs.make("racing/multi-car", cars=1, bots=0)


# -- object avoidance ---------------------------------------------------------------------------


def test_boxes_stand_evenly_from_2_percent_of_the_track_alternating_lanes():
    env = single_car(race_type="object_avoidance", obstacles=3)
    _, infos = env.reset(seed=0)
    # obstacles_agent_ctrl.py: linspace(2 % of the length, length - 1 m, n), inner lane first
    np.testing.assert_allclose(env.box_s, [0.02 * L, (0.02 * L + L - 1.0) / 2, L - 1.0])
    np.testing.assert_allclose(env.box_lateral, [0.225, -0.225, 0.225], atol=1e-9)
    for i, (x, y) in enumerate(env.obstacles.xy):  # the boxes stand there in the physics
        pos, _ = env.world.client.getBasePositionAndOrientation(env.world.obstacle_ids[i])
        assert pos[:2] == pytest.approx((x, y))
    assert env.obstacles.xy[0] == pytest.approx((0.02 * L, 0.225), abs=1e-3)  # on the first straight
    params = infos["car_0"]["params"]
    assert params["objects_location"] == env.obstacles.xy.tolist()  # the boxes after the (other) cars: none here
    assert len(params["objects_location"]) == 3 and params["objects_speed"] == [0.0, 0.0, 0.0]
    assert params["objects_left_of_center"] == [True, False, True]
    # the car starts within 1 m of box 0 (inner lane): on the outer lane (_get_car_start_model_state); (x, y) is
    # its front point, FRONT_OFFSET ahead of its centre
    assert (params["x"], params["y"]) == pytest.approx((FRONT_OFFSET, -0.225), abs=1e-3)
    env.reset(seed=1)
    np.testing.assert_allclose(env.box_s, [0.02 * L, (0.02 * L + L - 1.0) / 2, L - 1.0])  # fixed places


def test_random_boxes_keep_their_gap_and_change_every_reset():
    env = single_car(race_type="object_avoidance", obstacles=5, randomize_obstacles=True)
    places = []
    for seed in (0, 1, 0):
        env.reset(seed=seed)
        s = env.box_s
        gap = 0.02 * L
        assert s[0] >= gap - 1e-9 and s[-1] <= L - 1.0 + 1e-9 and (np.diff(s) >= gap - 1e-9).all()
        places.append(s.copy())
    assert not np.allclose(places[0], places[1]) and np.allclose(places[0], places[2])


def _drive_into_box(off_track: str) -> tuple[object, int, dict]:
    """4 boxes (2.0 % of the way, then every 7.7 m); a car on the inner lane 1.5 m behind box 2 (inner lane,
    on the top straight), straight on at 1 m/s: the env, the step it crashes, and its infos."""
    env = single_car(race_type="object_avoidance", obstacles=4, off_track=off_track, max_steps=200)
    env.reset(seed=0)
    env.world.place(0, *lane_pose(env.track, env.box_s[2] - 1.5, outer=False))
    for step in range(1, 60):
        *_, infos = env.step({"car_0": env.actions.encode(0.0, 1.0)})
        if infos["car_0"]["status"] != "in_progress":
            return env, step, infos
    raise AssertionError("no crash")


def test_a_start_near_a_box_moves_to_the_other_lane_in_training_only():
    # the first box stands 2 % of the oval (0.49 m) past the start line, on the inner lane (+0.225 m)
    for off_track, lateral in (("terminate", -0.225), ("reset", 0.0)):  # the simulator's evaluation keeps the start
        env = single_car(race_type="object_avoidance", off_track=off_track)
        env.reset(seed=0)
        assert env.box_s[0] == pytest.approx(0.02 * L) and env.box_lateral[0] == pytest.approx(0.225)
        _, _, offset = env.track.project(env._state.xy)
        assert offset[0] == pytest.approx(lateral, abs=1e-6)


def test_a_car_driving_into_a_box_crashes_and_restarts_behind_it_on_the_other_lane():
    env, step, infos = _drive_into_box("terminate")
    assert infos["car_0"]["status"] == "crashed" and infos["car_0"]["params"]["is_crashed"]
    assert env.agents == [] and 15 < step < 25  # 1.5 m - half a car - half a box at 1 m/s
    env, step, infos = _drive_into_box("reset")
    assert infos["car_0"]["resets"]["crash"] == 1 and env.agents == ["car_0"]
    x, y, heading = lane_pose(env.track, env.box_s[2] - 1.0, outer=True)  # 1 m behind, the other lane
    front = (x + FRONT_OFFSET * math.cos(heading), y + FRONT_OFFSET * math.sin(heading))  # params' (x, y)
    held = []
    for _ in range(80):
        *_, infos = env.step({"car_0": env.actions.encode(0.0, 1.0)})
        held.append(infos["car_0"]["status"] == "pause")
        if held[-1]:
            assert (infos["car_0"]["params"]["x"], infos["car_0"]["params"]["y"]) == pytest.approx(front, abs=2e-3)
            assert infos["car_0"]["params"]["speed"] == 0.0  # its action is ignored: nothing commanded
    assert held == [True] * 75 + [False] * 5  # COLLISION_PENALTY 5 s = 75 steps
    assert infos["car_0"]["penalty_s"] == 5.0


# -- bots -------------------------------------------------------------------------------------


def test_bots_start_2_m_apart_from_2_m_and_move_at_their_speed():
    env = envs.make("racing/multi-car", cars=1, bots=3, bot_speed=1.0, max_steps=100, off_track="reset")
    env.reset(seed=0)
    np.testing.assert_allclose(env.bots.arcs, np.linspace(2.0, L - 1.0, 3))  # bot_cars_agent_ctrl.py
    lateral = env.track.project(env.world.state([1, 2, 3]).xy)[2]
    np.testing.assert_allclose(lateral, [0.225, -0.225, 0.225], atol=2e-3)  # inner, outer, inner
    for _ in range(30):
        _, _, _, _, infos = env.step({"car_0": env.actions.encode(0.0, 1.0)})
    np.testing.assert_allclose(env.bots.arcs, np.linspace(2.0, L - 1.0, 3) + 2.0)  # 30 steps at 1 m/s
    bot_s = env.track.project(env.world.state([1]).xy)[1][0]
    assert bot_s == pytest.approx(4.0, abs=1e-6)  # on the straight: the body is exactly there
    assert infos["car_0"]["params"]["objects_speed"] == [1.0, 1.0, 1.0]
    assert env.agents == ["car_0"]  # bots are not agents


def test_bots_change_lanes_within_the_lane_change_time():
    env = single_car(
        race_type="head_to_bot", bots=1, bot_speed=1.0, bot_lane_change=True, lane_change_time=(1.0, 1.0),
        lane_change_distance=1.0, off_track="reset", max_steps=100,
    )  # fmt: skip
    env.reset(seed=0)
    lateral = []
    for _ in range(70):
        env.step({"car_0": 0} if env.agents else {})
        lateral.append(env.bots.poses(env.track)[2][0])
    lateral = np.array(lateral)
    # planned at step 1 (t = 1/15 s): 1 s on its lane, then 1 m at 1 m/s = 1 s to the other lane
    assert (lateral[:16] == pytest.approx(0.225)) and (lateral[30:46] == pytest.approx(-0.225))
    assert (np.diff(lateral[15:31]) < 0).all()  # one smooth change from the inner to the outer lane
    assert (np.diff(lateral[45:61]) > 0).all() and lateral[60:] == pytest.approx(0.225)  # and back


def test_a_car_behind_a_bot_crashes_and_a_bot_behind_a_car_waits():
    env = single_car(race_type="head_to_bot", bots=1, bot_speed=0.5, start_positions=[0.0, 2.5])
    env.reset(seed=0)
    for _ in range(60):  # 3 m/s into a bot at 0.5 m/s on the inner lane, 2.5 m ahead
        *_, infos = env.step({"car_0": env.actions.encode(0.0, 3.0)})
        if not env.agents:
            break
    assert infos["car_0"]["status"] == "crashed" and env.bots.wait == 0.0

    env = single_car(race_type="head_to_bot", bots=1, bot_speed=3.0, start_positions=[1.5, 0.0], max_steps=60)
    env.reset(seed=0)
    clock, stopped, driver = 0.0, [], PurePursuit(env.actions, speed=1.0)
    for _ in range(59):  # a bot at 3 m/s runs into the car at 1 m/s 1.5 m ahead of it
        *_, infos = env.step({"car_0": driver.act(env, "car_0")})
        assert infos["car_0"]["status"] == "in_progress"  # the car ahead is not crashed
        stopped.append(env.bots.clock == clock)
        clock = env.bots.clock
    first = stopped.index(True)
    assert 5 < first < 15 and stopped[first : first + 31] == [True] * 30 + [False]  # PENALTY_SECONDS 2 s


# -- reset causes and penalties -----------------------------------------------------------------


def test_reversed_ends_the_episode_after_exactly_15_steps_of_lost_progress():
    env = single_car(start_positions=[3.0])
    env.reset(seed=0)
    x, y, direction = env.track.point_at(3.0)
    env.world.place(0, x, y, direction + math.pi)  # turned round: forward is the wrong way
    statuses = []
    while env.agents:
        *_, infos = env.step({"car_0": env.actions.encode(0.0, 1.0)})
        statuses.append(infos["car_0"]["status"])
    assert statuses == ["in_progress"] * 14 + ["reversed"]  # NUMBER_OF_REVERSE_COUNTS


def test_immobilized_ends_the_episode_after_exactly_15_steps_at_rest():
    env = single_car(actions=STOP_GO)
    env.reset(seed=0)
    statuses, moved, last = [], [], np.zeros(2)
    while env.agents:  # 5 steps at 1 m/s, then speed 0: it rolls a little, then stands
        *_, infos = env.step({"car_0": int(len(statuses) < 5)})
        statuses.append(infos["car_0"]["status"])
        xy = np.array([infos["car_0"]["params"]["x"], infos["car_0"]["params"]["y"]])
        moved.append(np.hypot(*(xy - last)))
        last = xy
    rest = [m <= 0.0003 for m in moved]  # the simulator's 0.0003 m per step
    stop = len(rest) - rest[::-1].index(False)  # the first step of the last run at rest
    assert statuses == ["in_progress"] * (len(statuses) - 1) + ["immobilized"]
    assert len(statuses) - stop == 15  # NUM_STEPS_TO_CHECK_STUCK


def test_each_cause_resets_with_its_own_penalty_in_a_race():
    env = single_car(actions=STOP_GO, off_track="reset", immobilized_penalty=1.0, max_steps=100)
    env.reset(seed=0)
    statuses = []
    for _ in range(15 + 15 + 15):
        *_, infos = env.step({"car_0": 0})
        statuses.append(infos["car_0"]["status"])
    assert statuses == ["in_progress"] * 14 + ["immobilized"] + ["pause"] * 15 + ["in_progress"] * 14 + ["immobilized"]
    assert infos["car_0"]["resets"]["immobilized"] == 2 and infos["car_0"]["penalty_s"] == 2.0


def test_off_track_waits_its_penalty_then_drives_on():
    env = single_car(start_positions=[5.5], off_track="reset", off_track_penalty=1.0, max_steps=200)
    env.reset(seed=0)
    straight = env.actions.encode(0.0, 2.0)
    statuses, rewards = [], []
    while len(statuses) < 120:
        _, reward, _, _, infos = env.step({"car_0": straight})
        statuses.append(infos["car_0"]["status"])
        rewards.append(reward["car_0"])
    off = statuses.index("off_track")
    assert statuses[off + 1 : off + 16] == ["pause"] * 15  # 1 s
    assert statuses[off + 16] != "pause" and rewards[off + 1 : off + 16] == [0.0] * 15
    assert infos["car_0"]["resets"]["offtrack"] >= 1
    assert infos["car_0"]["penalty_s"] == 1.0 * infos["car_0"]["resets"]["offtrack"]


def test_max_resets_lets_that_many_resets_and_ends_at_the_next():
    env = single_car(actions=STOP_GO, off_track="reset", max_resets=2, max_steps=200)
    env.reset(seed=0)
    steps = 0
    while env.agents:
        *_, infos = env.step({"car_0": 0})
        steps += 1
    assert infos["car_0"]["resets"]["immobilized"] == 2 and infos["car_0"]["status"] == "immobilized"
    # NUMBER_OF_RESETS 2: three times 15 steps at rest; each reset pauses one step though IMMOBILIZED_PENALTY is 0
    assert steps == 15 + 1 + 15 + 1 + 15 and infos["car_0"]["penalty_s"] == 0.0


@pytest.mark.parametrize(("penalty", "pauses"), [(0.0, 1), (0.16, 3), (0.2, 3), (1.0, 15)])
def test_a_reset_pauses_its_penalty_rounded_up_to_whole_steps_and_at_least_one(penalty, pauses):
    # the simulator counts the penalty down by each step's sim time and leaves its pause phase once it is <= 0
    env = single_car(actions=STOP_GO, off_track="reset", immobilized_penalty=penalty, max_steps=60)
    env.reset(seed=0)
    statuses, ghost = [], []
    for _ in range(15 + pauses + 1):
        *_, infos = env.step({"car_0": 0})
        statuses.append(infos["car_0"]["status"])
        ghost.append(0 in env._ghosts)  # off the collision list while it waits, only for a penalty above 0
    assert statuses[14:] == ["immobilized"] + ["pause"] * pauses + ["in_progress"]
    assert ghost[14:] == [penalty > 0] * pauses + [False] * 2
    assert infos["car_0"]["penalty_s"] == penalty  # the penalty's seconds, not the steps waited


def test_a_whole_number_of_steps_is_not_rounded_up_by_float_error():
    assert 16.6 * 15 > 249  # 249.00000000000003
    assert single_car(immobilized_penalty=16.6).hold_steps["immobilized"] == 249


def test_done_condition_any_ends_every_cars_episode_with_the_first():
    kwargs = {"cars": 2, "bots": 0, "start_positions": [3.0, 0.0], "max_steps": 100}
    for done_condition, live_after in (("all", ["car_1"]), ("any", [])):
        env = envs.make("racing/multi-car", done_condition=done_condition, **kwargs)
        env.reset(seed=0)
        hard_left = env.actions.encode(30.0, 3.0)  # car_0 leaves the track within a few steps, car_1 goes straight
        while len(env.agents) == 2:
            _, _, terminations, truncations, infos = env.step({"car_0": hard_left, "car_1": env.actions.encode(0, 1)})
        assert infos["car_0"]["status"] == "off_track" and terminations["car_0"] and not truncations["car_0"]
        assert env.agents == live_after
        assert not terminations["car_1"] and truncations["car_1"] == (done_condition == "any")
    with pytest.raises(EnvKwargError, match="done_condition"):
        envs.make("racing/multi-car", done_condition="first")


# -- reverse direction ----------------------------------------------------------------------------


def test_reverse_drives_the_waypoints_backwards():
    env = single_car(reverse=True, action_space="continuous", max_steps=600)
    _, infos = env.reset(seed=0)
    params = infos["car_0"]["params"]
    # waypoint 0 first, then the rest backwards to the loop's closing point, waypoint 0 again
    assert params["is_reversed"] and params["waypoints"] == OVAL.waypoint_list[::-1]
    driver = PurePursuit(env.actions, speed=2.0)
    xs, progress = [], [0.0]
    while env.agents:
        *_, infos = env.step({"car_0": driver.act(env, "car_0")})
        xs.append(infos["car_0"]["params"]["x"])
        progress.append(infos["car_0"]["params"]["progress"])
    assert xs[5] < xs[0] < 0.0  # westward from the start line: the oval's way back
    assert (np.diff(progress) >= 0).all() and progress[-1] == 100.0 and infos["car_0"]["laps"] == 1
    env = single_car(reverse=True)
    env.reset(seed=0)
    env.world.place(0, 3.0, 0.0, 0.0)  # eastward on the first straight: the file's way is now the wrong way
    statuses = [env.step({"car_0": env.actions.encode(0.0, 1.0)})[4]["car_0"]["status"] for _ in range(15)]
    assert statuses[-1] == "reversed"


def test_a_car_waiting_its_penalty_is_driven_through():
    env = envs.make("racing/multi-car", cars=3, bots=0, off_track="reset", max_steps=100)
    env.reset(seed=0)
    for car, s in enumerate((4.0, 2.5, 0.5)):  # in a line on the centre of the first straight
        env.world.place(car, s, 0.0, 0.0)
    drivers = {f"car_{i}": PurePursuit(env.actions, speed=v) for i, v in enumerate((1.0, 3.0, 1.0))}
    statuses = {agent: [] for agent in env.agents}
    for _ in range(85):
        *_, infos = env.step({a: drivers[a].act(env, a) for a in env.agents})
        for agent, info in infos.items():
            statuses[agent].append(info["status"])
    crash = statuses["car_1"].index("crashed")  # car_1 runs into car_0 and waits 5 s where it is ...
    assert statuses["car_1"][crash + 1 :] == ["pause"] * (84 - crash)
    xs = [info["params"]["x"] for info in (infos["car_1"], infos["car_2"])]
    assert xs[1] > xs[0] + 0.5  # ... while car_2 drives through it
    assert set(statuses["car_2"]) == set(statuses["car_0"]) == {"in_progress"}


def test_a_car_that_completes_the_race_off_the_track_completes_it():
    env = single_car(actions=STOP_GO, laps=1, off_track="reset")
    _, infos = env.reset(seed=0)
    start = infos["car_0"]["params"]["projection_distance"]  # the front point's arc length
    # carried round in quarters (each step's progress is the arc length gained, within half a lap), then
    # past the finish line 1.5 m beside the track
    for ahead, off in ((L / 4, 0.0), (L / 2, 0.0), (3 * L / 4, 0.0), (L + 0.3, 1.5)):
        x, y, direction = OVAL.point_at(start + ahead - FRONT_OFFSET)
        env.world.place(0, x - off * math.sin(direction), y + off * math.cos(direction), direction)
        _, _, terminations, _, infos = env.step({"car_0": 0})
    params = infos["car_0"]["params"]
    assert params["is_offtrack"] and infos["car_0"]["laps"] == 1  # both on its last step: the finish counts
    assert infos["car_0"]["status"] == "lap_complete" and terminations["car_0"]
    assert sum(infos["car_0"]["resets"].values()) == 0 and infos["car_0"]["penalty_s"] == 0.0

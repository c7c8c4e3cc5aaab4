"""The built-in StarCraft II engine and the shared mini-game env: API, unit rules, map rules, agents.

Expected values are worked out by hand from the stats in ``envs/sc2/units.py`` (the comments show
the arithmetic), not read back from the engine.
"""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test

import envs
from envs.sc2 import make_minigame
from envs.sc2.builtin import BuiltinBackend
from envs.sc2.builtin.minigames import RULES, marine_offsets
from envs.sc2.env import SC2Env
from envs.sc2.frame import ATTACK, ENEMY, MOVE, NEUTRAL, SELF, Frame, Orders
from envs.sc2.units import (
    BANELING,
    BEACON,
    GAME_LOOPS_PER_SECOND,
    MARINE,
    MINERAL_SHARD,
    MINIGAMES,
    ROACH,
    WAVE_SPAWN_LEFT,
    WAVE_SPAWN_RIGHT,
    ZERGLING,
)

# Marine 6 damage every 14 loops (0.8608 s x 16 = 13.77 -> the 14th loop); Zergling 5 every 12
# (0.696 x 16 = 11.1); Roach 16 every 32 (2.0 x 16); Marine speed 3.15 / 22.4 = 0.140625 cells a loop,
# Zergling 4.13 / 22.4 = 0.184375
MARINE_PERIOD, ZERGLING_PERIOD, ROACH_PERIOD = 14, 12, 32
MARINE_STRIDE, ZERGLING_STRIDE = 0.140625, 0.184375


def engine(
    map_name: str, opening: list, step_mul: int = 1, jitter: bool = False, regen: bool = False
) -> BuiltinBackend:
    """An engine that starts with ``opening`` and steps one game loop at a time (deterministic unless
    ``jitter``; no regeneration unless ``regen``: hand arithmetic)."""
    backend = BuiltinBackend(map_name, step_mul=step_mul, opening=opening, jitter=jitter, regen=regen)
    backend.reset(seed=0)
    return backend


def run_loops(backend: BuiltinBackend, loops: int, orders: Orders | None = None) -> Frame:
    frame = backend.step(orders or Orders())
    for _ in range(loops - 1):
        frame = backend.step(Orders())
    return frame


def health(frame: Frame, alliance: int) -> list[float]:
    return frame.units.health[frame.units.alliance == alliance].tolist()


def order(tag: int, kind: int, x: float = 0.0, y: float = 0.0, target: int = 0) -> Orders:
    return Orders(np.array([tag]), np.array([kind], np.int8), np.array([x]), np.array([y]), np.array([target]))


# -- the PettingZoo API ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(MINIGAMES))
def test_parallel_api(name: str) -> None:
    env = envs.make(f"sc2/{name}")
    parallel_api_test(env, num_cycles=60)
    assert env.render_mode is None and env.unwrapped.render_mode is None


@pytest.mark.parametrize("name", ["MoveToBeacon", "DefeatZerglingsAndBanelings"])
def test_parallel_seed(name: str) -> None:
    parallel_seed_test(lambda: envs.make(f"sc2/{name}"), num_cycles=30)


def test_unknown_backend_and_map() -> None:
    with pytest.raises(ValueError, match="builtin, pysc2"):
        make_minigame("MoveToBeacon", backend="sc3")
    with pytest.raises(ValueError, match="MoveToBeacon"):
        make_minigame("MoveToBacon")


def test_spaces() -> None:
    env = envs.make("sc2/DefeatRoaches")
    obs, _ = env.reset(seed=0)
    # 12 own + 4 allies x 15 + 8 targets x 16 + time left; 10 fixed actions + 8 target slots
    assert env.observation_space("marine_0")["observation"].shape == (201,)
    assert env.action_space("marine_0").n == 18
    assert len(env.agents) == 9 and len(env.possible_agents) == 9 + 5 * 4
    for o in obs.values():
        assert env.observation_space("marine_0").contains(o)
        assert o["action_mask"].tolist() == [1] * 10 + [1] * 4 + [0] * 4  # 4 Roaches, 4 empty slots


# -- unit rules -----------------------------------------------------------------------------------


def test_marine_kills_zergling_in_six_shots() -> None:
    # Marine at edge distance 4 (range 5) of a Zergling, a second Zergling far away (no respawn).
    gap = 4.0 + MARINE.radius + ZERGLING.radius
    backend = engine("FindAndDefeatZerglings", [(MARINE, SELF, 10, 10), (ZERGLING, ENEMY, 10 + gap, 10),
                                                (ZERGLING, ENEMY, 34, 34)])  # fmt: skip
    # ceil(35 / 6) = 6 shots, at loops 0, 14, 28, 42, 56, 70: alive before loop 70, dead after it
    frame = run_loops(backend, 70)
    assert health(frame, ENEMY)[0] == 35 - 5 * 6
    frame = run_loops(backend, 1)
    assert frame.game_loop == 71 and len(health(frame, ENEMY)) == 1
    assert (frame.game_loop - 1) / GAME_LOOPS_PER_SECOND == pytest.approx(3.125)  # 70 loops from first shot to kill
    # the Zergling closes 4.0 - 0.1 = 3.9 cells in ceil(3.9 / 0.184375) = 22 loops, then bites at
    # loops 22, 34, 46, 58 and 70 (the same loop as the kill: both land): 45 - 5 x 5 = 20
    assert health(frame, SELF) == [45 - 5 * 5]
    assert frame.score == 1


def test_armor_reduces_damage() -> None:
    # Marine 6 - Roach armor 1 = 5 a shot; Roach 16 - Marine armor 0 = 16
    gap = 3.5 + MARINE.radius + ROACH.radius
    backend = engine("DefeatRoaches", [(MARINE, SELF, 5, 8), (ROACH, ENEMY, 5 + gap, 8)])
    frame = run_loops(backend, 1)
    assert health(frame, ENEMY) == [145 - 5] and health(frame, SELF) == [45 - 16]
    frame = run_loops(backend, MARINE_PERIOD)
    assert health(frame, ENEMY) == [145 - 2 * 5]


def test_out_of_range_attacks_do_not_land_and_enemies_pick_up_at_scan_range() -> None:
    # edge distance 5.5: beyond the Marine's range 5 and the Zergling's scan range 5 (within its sight 8)
    gap = 5.5 + MARINE.radius + ZERGLING.radius
    backend = engine("FindAndDefeatZerglings", [(MARINE, SELF, 10, 10), (ZERGLING, ENEMY, 10 + gap, 10)])
    marine, zergling = backend.reset(seed=0).units.tag.tolist()
    frame = backend.step(order(marine, ATTACK, target=zergling))
    # loop 0: no shot; only the Marine closes in (the Zergling has no target within 5): 5.359375
    assert health(frame, ENEMY) == [35]
    x = frame.units.x.tolist()
    assert x[0] == pytest.approx(10 + MARINE_STRIDE) and x[1] == pytest.approx(10 + gap)
    # loops 1-3 start at 5.36, 5.22, 5.08 (> 5): no shot, the Zergling waits; the Marine stops at 5.0
    frame = run_loops(backend, 3)
    assert health(frame, ENEMY) == [35] and frame.units.x[1] == pytest.approx(10 + gap)
    # loop 4 starts at 5.0: the Marine fires, the Zergling picks it up (<= 5) and charges
    frame = run_loops(backend, 1)
    assert health(frame, ENEMY) == [35 - 6] and frame.units.x[1] == pytest.approx(10 + gap - ZERGLING_STRIDE)


def test_idle_marine_ignores_enemies_out_of_range() -> None:
    gap = 8.5 + MARINE.radius + ZERGLING.radius  # beyond range 5 and beyond the Zergling's sight 8
    backend = engine("FindAndDefeatZerglings", [(MARINE, SELF, 10, 10), (ZERGLING, ENEMY, 10 + gap, 10)])
    frame = run_loops(backend, 40)
    assert health(frame, ENEMY) == [35] and frame.units.x.tolist() == [10, 10 + gap]


def test_baneling_splash_hits_every_marine_in_radius_and_dies() -> None:
    # splash 2.2 from the Baneling's centre reaches a Marine whose edge is within it: centre <= 2.575
    opening = [
        (BANELING, ENEMY, 10, 8),
        (MARINE, SELF, 10 + 0.75 + 0.2, 8),  # edge 0.2 <= 0.25: the Baneling bursts at once
        (MARINE, SELF, 10, 8 + 2.5),  # 2.5 <= 2.575: hit
        (MARINE, SELF, 10 - 1.5, 8 - 1.5),  # 2.12: hit
        (MARINE, SELF, 10, 8 - 2.7),  # 2.7 > 2.575: spared
        (ZERGLING, ENEMY, 23, 16),  # far away: no new wave
    ]
    frame = run_loops(engine("DefeatZerglingsAndBanelings", opening), 1)
    # 16 + 19 vs Light = 35 to each Marine in radius
    assert health(frame, SELF) == [10, 10, 10, 45]
    assert BANELING.unit_type not in frame.units.unit_type.tolist()
    assert frame.score == 5  # a Baneling that bursts dies: +5


def test_killed_baneling_bursts() -> None:
    # 5 Marines on one spot shoot a Baneling at edge distance 1.0 (it needs 0.25 to burst on its own):
    # 5 x 6 = 30 kills it on loop 0, and its burst on death hits them all: 45 - 35 = 10
    gap = 1.0 + MARINE.radius + BANELING.radius
    opening = [(MARINE, SELF, 5, 8)] * 5 + [(BANELING, ENEMY, 5 + gap, 8), (ZERGLING, ENEMY, 23, 16)]
    frame = run_loops(engine("DefeatZerglingsAndBanelings", opening), 1)
    assert health(frame, SELF) == [10] * 5 and frame.score == 5


# -- map rules ------------------------------------------------------------------------------------


def test_defeat_roaches_scores_and_new_wave() -> None:
    # 9 Marines on one spot, a Roach at edge distance 3.5: volleys of 9 x 5 at loops 0, 14, 28 leave
    # 145 - 135 = 10; at loop 42 two shots kill it and the other seven hold fire. The Roach fires at
    # loops 0 and 32 on the first Marine: 45 - 32 = 13.
    gap = 3.5 + MARINE.radius + ROACH.radius
    backend = engine("DefeatRoaches", [(MARINE, SELF, 5, 8)] * 9 + [(ROACH, ENEMY, 5 + gap, 8)])
    frame = run_loops(backend, 42)
    assert health(frame, ENEMY) == [10] and frame.score == 0
    frame = run_loops(backend, 1)
    assert frame.score == 10
    # the new wave [MAP]: 4 Roaches, 5 more Marines; the survivors keep their tags and hit points
    units = frame.units
    own, enemy = units.alliance == SELF, units.alliance == ENEMY
    assert own.sum() == 14 and enemy.sum() == 4 and health(frame, ENEMY) == [145] * 4
    assert health(frame, SELF) == [13] + [45] * 13 and units.tag[own].tolist()[:9] == list(range(1, 10))
    assert_wave(frame, 14)


def assert_wave(frame: Frame, marines: int) -> None:
    """Both groups in a vertical line at one point each of the two 4 x 6 spawn rectangles [MAP]."""
    u = frame.units
    own, enemy = u.alliance == SELF, u.alliance == ENEMY
    mx, ex = set(u.x[own].tolist()), set(u.x[enemy].tolist())
    assert len(mx) == 1 and len(ex) == 1
    (mx,), (ex,) = mx, ex
    rects = {x < 11: r for x, r in ((WAVE_SPAWN_LEFT[0], WAVE_SPAWN_LEFT), (WAVE_SPAWN_RIGHT[0], WAVE_SPAWN_RIGHT))}
    assert rects[mx < 11] != rects[ex < 11]  # opposite sides
    assert 10 <= abs(mx - ex) <= 18.1
    # the Marines' line: 0, +1, -1, +2, ... from the group's point (clamped into the 22 x 16 map)
    y = u.y[own].astype(np.float64)
    point = y[0]
    r = rects[mx < 11]
    assert r[0] <= mx <= r[2] and r[1] <= point <= r[3]
    want = np.clip(point + marine_offsets(marines), MARINE.radius, 16 - MARINE.radius)
    np.testing.assert_allclose(y, want, atol=1e-5)
    ey = u.y[enemy].astype(np.float64)
    if len(ey) == 4 and (u.unit_type[enemy] == ROACH.unit_type).all():  # Roaches 1.0 apart
        np.testing.assert_allclose(np.sort(ey) - np.sort(ey)[0], [0, 1, 2, 3], atol=1e-5)
    else:  # 6 Zerglings and 4 Banelings at one point
        assert len(set(ey.tolist())) == 1


def test_marine_lost_scores_minus_one_and_ends_the_game() -> None:
    # 3 Zerglings bite at loops 0, 12, 24: 15 a round, 45 hp: dead at loop 24; its shots at 0 and 14
    # (12 damage) kill nothing
    opening = [(MARINE, SELF, 10, 10)] + [(ZERGLING, ENEMY, 10.8, 10)] * 3
    backend = engine("FindAndDefeatZerglings", opening)
    frame = run_loops(backend, 24)
    assert health(frame, SELF) == [45 - 2 * 15] and not frame.episode_over
    frame = run_loops(backend, 1)
    assert frame.score == -1 and frame.episode_over and sorted(health(frame, ENEMY)) == [23, 35, 35]


def test_beacon_scores_and_moves_away() -> None:
    backend = engine("MoveToBeacon", [(MARINE, SELF, 5, 5), (BEACON, NEUTRAL, 10, 5)], step_mul=8)
    marine = backend.reset(seed=0).units.tag[0]
    # reached at centre distance 1.0 + 0.375: 3.625 cells at 1.125 a step: during the 4th step
    frame = run_loops(backend, 3, order(marine, MOVE, 10, 5))
    assert frame.score == 0
    frame = run_loops(backend, 1)
    assert frame.score == 1
    pos = frame.units.x + 1j * frame.units.y
    assert abs(pos[1] - pos[0]) >= 5.0  # the beacon moved at least 5 from the Marine
    assert frame.units.tag.tolist()[1] == backend.engine.tag[1]


def test_shards_score_and_respawn_when_all_are_collected() -> None:
    # collected within 0.375 + 0.5 = 0.875 of the Marine's path, 1.125 cells a step from x = 5
    opening = [(MARINE, SELF, 5, 5), (MINERAL_SHARD, NEUTRAL, 7.5, 5), (MINERAL_SHARD, NEUTRAL, 10, 5)]
    backend = engine("CollectMineralShards", opening, step_mul=8)
    marine = backend.reset(seed=0).units.tag[0]
    frame = run_loops(backend, 1, order(marine, MOVE, 20, 5))  # x = 6.125: 1.375 short of the first
    assert frame.score == 0
    frame = run_loops(backend, 1)  # x = 7.25: the first
    assert frame.score == 1 and (frame.units.alliance == NEUTRAL).sum() == 1
    frame = run_loops(backend, 1)  # x = 8.375: 1.625 short of the second
    assert frame.score == 1
    frame = run_loops(backend, 1)  # x = 9.5: all collected; 20 new ones, at least 2 from the Marine
    assert frame.score == 2
    shards = frame.units.alliance == NEUTRAL
    assert shards.sum() == 20
    marine_pos = frame.units.x[~shards][0] + 1j * frame.units.y[~shards][0]
    assert np.abs(frame.units.x[shards] + 1j * frame.units.y[shards] - marine_pos).min() >= 2.0


@pytest.mark.parametrize(("name", "steps"), [("MoveToBeacon", 240), ("FindAndDefeatZerglings", 360)])
def test_episode_length_is_game_time_over_step_mul(name: str, steps: int) -> None:
    # 120 (180) game seconds x 16 game loops / step_mul 8
    env = envs.make(f"sc2/{name}")
    assert env.episode_steps == steps
    env.reset(seed=1)
    count, truncated = 0, {}
    while env.agents:
        _, _, terminated, truncated, _ = env.step(dict.fromkeys(env.agents, 0))
        count += 1
    assert count == steps and all(truncated.values()) and not any(terminated.values())


def test_reset_is_deterministic() -> None:
    env = envs.make("sc2/CollectMineralShards")
    first, _ = env.reset(seed=7)
    again, _ = env.reset(seed=7)
    other, _ = env.reset(seed=8)
    assert all(np.array_equal(first[a]["observation"], again[a]["observation"]) for a in first)
    assert not all(np.array_equal(first[a]["observation"], other[a]["observation"]) for a in first)


# -- the env: masks, agents, infos ----------------------------------------------------------------


def fog_env(**kwargs) -> SC2Env:
    # a Zergling within sight (9) of the Marine and one outside it
    opening = [(MARINE, SELF, 18, 18), (ZERGLING, ENEMY, 18, 26), (ZERGLING, ENEMY, 30, 30)]
    return SC2Env(BuiltinBackend("FindAndDefeatZerglings", opening=opening), **kwargs)


def test_masks_forbid_invisible_and_missing_targets() -> None:
    env = fog_env()
    obs, _ = env.reset(seed=0)
    assert obs["marine_0"]["action_mask"][10:].tolist() == [1, 0, 0, 0, 0, 0, 0, 0]  # the hidden one unlisted
    # choosing an empty target slot is a masked no-op too (the last unit, an enemy, is not taken)
    assert all(len(env._orders({"marine_0": action}, env._seen).tag) == 0 for action in range(11, 18))
    env.step({"marine_0": 17})
    env = fog_env(see_through_fog=True)
    obs, _ = env.reset(seed=0)
    assert obs["marine_0"]["action_mask"][10:].tolist() == [1, 0, 0, 0, 0, 0, 0, 0]  # listed, masked
    target1 = 12 + 15 * 4 + 16  # second target slot: present 1, visible (4th value) 0
    assert obs["marine_0"]["observation"][target1] == 1 and obs["marine_0"]["observation"][target1 + 4] == 0
    # a masked choice is a no-op: no order reaches the engine
    assert len(env._orders({"marine_0": 11}, env._seen).tag) == 0 and env._orders(
        {"marine_0": 10}, env._seen
    ).kind.tolist() == [ATTACK]


def test_dead_targets_leave_their_slot() -> None:
    env = fog_env()
    obs, _ = env.reset(seed=0)
    kills = 0
    while kills == 0:
        obs, _, _, _, infos = env.step({"marine_0": 10})
        kills = infos["marine_0"]["kills"]
    assert obs["marine_0"]["action_mask"][10:].sum() == 0  # the other Zergling is still unseen


def test_agents_leave_and_join_with_fresh_names() -> None:
    gap = 3.5 + MARINE.radius + ROACH.radius
    opening = [(MARINE, SELF, 5, 8)] * 9 + [(ROACH, ENEMY, 5 + gap, 8)]
    env = SC2Env(BuiltinBackend("DefeatRoaches", step_mul=2, opening=opening, jitter=False, regen=False))
    env.reset(seed=0)
    first = list(env.agents)
    assert first == [f"marine_{i}" for i in range(9)]
    # the Roach dies during loop 42, i.e. in step 22 (loops 42-43): 5 new agents join then
    for _ in range(21):
        obs, rewards, _, _, _ = env.step(dict.fromkeys(env.agents, 0))
        assert env.agents == first
    obs, rewards, terminated, _, infos = env.step(dict.fromkeys(env.agents, 0))
    joined = [f"marine_{i}" for i in range(9, 14)]
    assert env.agents == first + joined and set(obs) == set(first + joined)
    assert set(rewards.values()) == {10.0} and not any(terminated.values())
    assert infos["marine_0"]["kills"] == 1 and infos["marine_0"]["damage_dealt"] == 10
    # a Marine that dies leaves for good; its name is not given to anyone else
    engine = env.backend.engine
    engine.hp[engine.tag == env._agent_tag["marine_3"]] = 0.0
    engine._deaths()
    _, rewards, terminated, _, infos = env.step(dict.fromkeys(env.agents, 0))
    assert terminated["marine_3"] and rewards["marine_3"] == -1.0 and "marine_3" not in env.agents
    assert infos["marine_3"]["losses"] == 1 and infos["marine_3"]["health"] == 0.0


@pytest.mark.parametrize("reward", ["score", "damage_dealt"])
def test_infos_count_kills_and_damage(reward: str) -> None:
    gap = 4.0 + MARINE.radius + ZERGLING.radius
    opening = [(MARINE, SELF, 10, 10), (ZERGLING, ENEMY, 10 + gap, 10), (ZERGLING, ENEMY, 34, 34)]
    env = SC2Env(BuiltinBackend("FindAndDefeatZerglings", opening=opening, jitter=False, regen=False), reward=reward)
    env.reset(seed=0)
    totals = dict.fromkeys(("kills", "losses", "damage_dealt", "damage_taken", "own_damage_taken"), 0.0)
    score = 0.0
    for _ in range(10):  # 80 loops: the kill at loop 70 (see test_marine_kills_zergling_in_six_shots)
        _, rewards, _, _, infos = env.step({"marine_0": 0})
        score += rewards["marine_0"]
        for key in totals:
            totals[key] += infos["marine_0"][key]
    assert totals == {"kills": 1, "losses": 0, "damage_dealt": 35, "damage_taken": 25, "own_damage_taken": 25}
    assert infos["marine_0"]["score"] == 1
    # the map's score: +1 for the kill; damage_dealt adds 0.1 per hit point: the Zergling's 35
    assert score == pytest.approx(1.0 if reward == "score" else 1.0 + 3.5)


def test_unknown_reward_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown sc2 reward 'kills'; expected one of score, damage_dealt"):
        envs.make("sc2/DefeatRoaches", reward="kills")


def test_every_minigame_has_its_rules() -> None:
    registered = {i.removeprefix("sc2/") for i in envs.registered_ids() if i.startswith("sc2/")}
    assert list(RULES) == list(MINIGAMES) and registered == set(MINIGAMES) and len(MINIGAMES) == 5


# -- the maps' own rules [MAP] (units.py cites the map file and trigger of each) -----------------


@pytest.mark.parametrize("name", ["DefeatRoaches", "DefeatZerglingsAndBanelings"])
def test_wave_maps_start_in_their_spawn_rectangles(name: str) -> None:
    backend = BuiltinBackend(name)
    sides = set()
    for seed in range(12):
        frame = backend.reset(seed=seed)
        assert frame.map_size == (22.0, 16.0)
        assert_wave(frame, 9)
        sides.add(bool(frame.units.x[frame.units.alliance == SELF][0] < 11))
    assert sides == {True, False}  # RandomInt(1, 2) picks the side


def test_move_to_beacon_spawn_distances_and_reach() -> None:
    backend = BuiltinBackend("MoveToBeacon")
    centre = 11 + 8j
    for seed in range(40):
        u = backend.reset(seed=seed).units
        marine, beacon = complex(u.x[0], u.y[0]), complex(u.x[1], u.y[1])
        assert abs(beacon - marine) >= 5.0 and abs(beacon - centre) >= 4.0
        assert 1.5 <= beacon.real <= 20.5 and 1.5 <= beacon.imag <= 14.5
        assert 0 <= marine.real <= 22 and 0 <= marine.imag <= 16
    # scored when the Marine's centre comes within 1.25 of the beacon's (region "Beacon Area")
    for stop, scored in ((1.3, 0), (1.2, 1)):
        backend = engine("MoveToBeacon", [(MARINE, SELF, 5, 5), (BEACON, NEUTRAL, 10, 5)], step_mul=8)
        marine = backend.reset(seed=0).units.tag[0]
        assert run_loops(backend, 6, order(marine, MOVE, 10 - stop, 5)).score == scored


def test_find_and_defeat_zerglings_start() -> None:
    frame = BuiltinBackend("FindAndDefeatZerglings").reset(seed=3)
    u, centre = frame.units, 22 + 16j
    assert frame.map_size == (44.0, 32.0)
    pos = u.x + 1j * u.y
    marines, lings = pos[u.alliance == SELF], pos[u.alliance == ENEMY]
    np.testing.assert_allclose(np.abs(marines - centre), 1.0, atol=1e-5)  # a triangle of radius 1
    np.testing.assert_allclose(np.sort(np.angle(marines - centre, deg=True)), [-150, -30, 90], atol=1e-3)
    r = np.abs(lings - centre)
    assert len(lings) == 25 and 8 - 1e-4 <= r[0] <= 9 + 1e-4 and 7.5 - 1e-4 <= r[1] <= 9.5 + 1e-4
    assert (r[2:] >= 10.5 - 1e-4).all()
    apart = np.abs(lings[:, None] - lings[None, :]) + np.eye(25) * 99
    assert apart.min() >= 5.0 - 1e-4


def fire_loops(jitter: bool, seed: int = 0) -> list[int]:
    """Loops at which a lone Marine shoots a Roach it cannot kill in 200 loops."""
    gap = 4.5 + MARINE.radius + ROACH.radius  # in the Marine's range 5; the Roach picks it up (scan 5)
    backend = engine("DefeatRoaches", [(MARINE, SELF, 5, 8), (ROACH, ENEMY, 5 + gap, 8)], jitter=jitter)
    backend.reset(seed=seed)
    shots, hp = [], 145.0
    for loop in range(200):
        frame = backend.step(Orders())
        roach = health(frame, ENEMY)
        if roach and roach[0] < hp:
            shots.append(loop)
            hp = roach[0]
        if not roach or not health(frame, SELF):
            break
    return shots


def test_weapon_jitter_on_and_off_and_seeded() -> None:
    steady = np.diff(fire_loops(jitter=False))
    assert set(steady.tolist()) == {MARINE_PERIOD}
    gaps = np.diff(fire_loops(jitter=True, seed=0))
    assert set(gaps.tolist()) <= set(range(MARINE_PERIOD - 1, MARINE_PERIOD + 3)) and len(set(gaps.tolist())) > 1
    assert fire_loops(jitter=True, seed=0) == fire_loops(jitter=True, seed=0)
    assert fire_loops(jitter=True, seed=0) != fire_loops(jitter=True, seed=1)


@pytest.mark.parametrize("regen", [True, False])
def test_zerg_regeneration(regen: bool) -> None:
    # a Zergling at 20 of 35 hp, far from anyone: 0.2734 hp per game second, 8 loops a step
    opening = [(MARINE, SELF, 2, 2), (ZERGLING, ENEMY, 30, 30)]
    backend = engine("FindAndDefeatZerglings", opening, step_mul=8, regen=regen)
    backend.engine.hp[1] = 20.0
    frame = run_loops(backend, 10)
    assert health(frame, ENEMY)[0] == pytest.approx(20 + (0.2734 * 80 / 16 if regen else 0), abs=1e-4)
    assert health(frame, SELF) == [45]  # Marines do not regenerate
    backend.engine.hp[1] = 34.99
    assert health(run_loops(backend, 5), ENEMY) == [35 if regen else pytest.approx(34.99)]


def test_combat_maps_are_random_but_seeded() -> None:
    from envs.sc2.scripted import Scripted

    def score(seed: int) -> float:
        env = envs.make("sc2/DefeatZerglingsAndBanelings")
        agent = Scripted(env)
        obs, _ = env.reset(seed=seed)
        total = 0.0
        while env.agents:
            obs, rew, *_ = env.step(agent(obs))
            total += next(iter(rew.values()), 0.0)
        return total

    assert score(4) == score(4)
    assert len({score(s) for s in range(4)}) > 1

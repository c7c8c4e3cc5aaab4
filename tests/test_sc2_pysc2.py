"""The pysc2 backend's translation, on PySC2's own mock env (no StarCraft II needed)."""

import random

import numpy as np
import pytest

pytest.importorskip("pysc2")

from envs.sc2.compat import import_pysc2, legacy_shuffle

import_pysc2()

from pysc2.env import environment, mock_sc2_env, sc2_env  # noqa: E402
from pysc2.lib import actions, features  # noqa: E402
from pysc2.tests import dummy_observation  # noqa: E402
from s2clientprotocol import common_pb2, raw_pb2  # noqa: E402

import envs  # noqa: E402
from envs.sc2.env import SC2Env  # noqa: E402
from envs.sc2.frame import ATTACK, ENEMY, MOVE, NOOP, SELF, STOP, Orders  # noqa: E402
from envs.sc2.interface import N_FIXED  # noqa: E402
from envs.sc2.pysc2_backend import PySC2Backend, SC2NotFoundError  # noqa: E402

MARINE, ROACH = 48, 110
AIF = sc2_env.AgentInterfaceFormat(use_raw_units=True, use_raw_actions=True, raw_resolution=256)
MAP = mock_sc2_env.DUMMY_MAP_SIZE  # 256 cells, so 1 raw pixel = 1 cell


def unit(unit_type, alliance, x, y, health, health_max, cooldown=0.0, display=raw_pb2.Visible):
    owner = 1 if alliance == SELF else 2
    return dummy_observation.FeatureUnit(
        unit_type, alliance, owner, common_pb2.Point(x=x, y=y, z=0), radius=0.375, health=health,
        health_max=health_max, is_on_screen=True, display_type=display, weapon_cooldown=cooldown,
    )  # fmt: skip


def timestep(mock, units, score=0, game_loop=0, last=False, feats=None, tags=None):
    """A crafted timestep: raw units go through PySC2's own feature transform (tags 1, 2, ... or ``tags``)."""
    feats = feats or features.features_from_game_info(mock.game_info[0], agent_interface_format=AIF)
    builder = dummy_observation.Builder(mock.observation_spec()[0]).game_loop(game_loop).score(score)
    response = builder.feature_units(units).build()
    for raw, tag in zip(response.observation.raw_data.units, tags or [], strict=False):
        raw.tag = tag
    obs = feats.transform_obs(response)
    step = environment.StepType.LAST if last else environment.StepType.MID
    return environment.TimeStep(step_type=step, reward=0.0, discount=1.0, observation=obs)


@pytest.fixture
def mock():
    env = mock_sc2_env.SC2TestEnv(agent_interface_format=AIF)
    env.episode_length = 10**6
    return env


def test_shim_keeps_pythons_legacy_shuffle_and_the_global_one():
    x = list(range(6))
    legacy_shuffle(x, lambda: 0.5)  # Python 3.10's algorithm: swap x[i], x[int(0.5 * (i + 1))] for i = 5 .. 1
    assert x == [0, 5, 1, 4, 2, 3]  # swaps (5,3) (4,2) (3,2) (2,1) (1,1)
    with pytest.raises(TypeError):
        random.shuffle([1, 2], lambda: 0.5)  # the global shuffle is untouched


def test_raw_units_become_a_frame(mock):
    mock.next_timestep = [timestep(mock, [
        unit(MARINE, SELF, 10.5, 20.5, 30, 45, cooldown=7),
        unit(ROACH, ENEMY, 14.5, 20.5, 145, 145, display=raw_pb2.Snapshot),
    ], score=12, game_loop=40)]  # fmt: skip
    backend = PySC2Backend.from_env(mock, "DefeatRoaches")
    frame = backend.reset()
    u = frame.units
    assert u.tag.tolist() == [1, 2] and u.alliance.tolist() == [SELF, ENEMY]
    assert u.x.tolist() == [10.5, 14.5] and u.y.tolist() == [20.5, 20.5]  # y points up again
    assert u.health.tolist() == [30, 145] and u.health_max.tolist() == [45, 145]
    assert u.weapon_cooldown.tolist() == [7, 0] and u.visible.tolist() == [True, False]
    assert u.radius.tolist() == pytest.approx([0.375, 0.5])  # from the unit table (Marine, Roach)
    assert (frame.score, frame.game_loop, frame.episode_over, frame.map_size) == (12.0, 40, False, (MAP, MAP))
    mock.next_timestep = [timestep(mock, [], last=True)]
    assert backend.step(Orders()).episode_over


def test_orders_become_raw_function_calls(mock):
    units = [unit(MARINE, SELF, 10.5 + i, 20.5, 45, 45) for i in range(3)] + [unit(ROACH, ENEMY, 14.5, 20.5, 145, 145)]
    mock.next_timestep = [timestep(mock, units)]
    backend = PySC2Backend.from_env(mock, "DefeatRoaches")
    backend.reset()
    orders = Orders(
        tag=np.array([1, 2, 3, 9]),
        kind=np.array([ATTACK, ATTACK, MOVE, STOP], np.int8),
        x=np.array([0, 0, 30.5, 0], np.float32),
        y=np.array([0, 0, 40.5, 0], np.float32),
        target=np.array([4, 4, 0, 0]),
    )  # fmt: skip  (tag 9 does not exist: dropped)
    calls = backend.raw_actions(orders)
    fn = actions.RAW_FUNCTIONS
    assert [(c.function, c.arguments) for c in calls] == [
        (fn.Attack_unit.id, [[0], [0, 1], [3]]),  # units by raw row; the Roach is row 3
        (fn.Move_pt.id, [[0], [2], [30, MAP - 41]]),  # the cell (30.5, 40.5) is raw pixel (30, 215)
    ]
    # PySC2 turns them into game actions with the real tags and the point
    feats = features.features_from_game_info(mock.game_info[0], agent_interface_format=AIF)
    obs = timestep(mock, units, feats=feats).observation
    cmd = feats.transform_action(obs, calls[0]).action_raw.unit_command
    assert list(cmd.unit_tags) == [1, 2] and cmd.target_unit_tag == 4
    move = feats.transform_action(obs, calls[1]).action_raw.unit_command.target_world_space_pos
    assert abs(move.x - 30.5) <= 0.5 and abs(move.y - 40.5) <= 0.5
    noop = Orders(tag=np.array([1]), kind=np.array([NOOP], np.int8), x=np.zeros(1, np.float32),
                  y=np.zeros(1, np.float32), target=np.zeros(1, np.int64))  # fmt: skip
    assert [c.function for c in backend.raw_actions(noop)] == [fn.no_op.id]


def test_shared_env_on_the_pysc2_backend(mock):
    marines = [unit(MARINE, SELF, 10.5 + i, 20.5, 45, 45) for i in range(2)]
    roach = unit(ROACH, ENEMY, 14.5, 20.5, 145, 145)
    mock.next_timestep = [timestep(mock, [*marines, roach])]
    env = SC2Env(PySC2Backend.from_env(mock, "DefeatRoaches"))
    obs, _ = env.reset(seed=0)
    assert env.agents == ["marine_0", "marine_1"]
    mask = obs["marine_0"]["action_mask"]
    assert mask[N_FIXED] == 1 and not mask[N_FIXED + 1 :].any()  # one visible target
    sent = []
    real_step = mock.step
    mock.step = lambda acts, step_mul=None: (sent.append(acts[0]), real_step(acts))[1]
    # marine_1's unit (tag 2) dies, a new Marine (tag 4) arrives; the Roach keeps tag 3
    new = unit(MARINE, SELF, 5.5, 5.5, 45, 45)
    mock.next_timestep = [timestep(mock, [marines[0], roach, new], score=-1, tags=[1, 3, 4])]
    obs, rew, term, _, infos = env.step({"marine_0": N_FIXED, "marine_1": 0})
    assert sent[0][0].function == actions.RAW_FUNCTIONS.Attack_unit.id
    assert sent[0][0].arguments == [[0], [0], [2]]  # marine_0 (row 0) attacks the Roach (row 2 before the step)
    assert term["marine_1"] and "marine_1" not in env.agents
    assert env.agents == ["marine_0", "marine_2"]  # the new unit joins under a fresh name
    assert infos["marine_0"]["losses"] == 1 and rew["marine_0"] == -1.0


def test_without_the_game_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SC2PATH", str(tmp_path))
    with pytest.raises(SC2NotFoundError, match=r"StarCraft II not found at .*SC2PATH.*mini_games"):
        PySC2Backend("MoveToBeacon")
    with pytest.raises(SC2NotFoundError, match="SC2PATH"):
        envs.make("sc2/MoveToBeacon", backend="pysc2")
    (tmp_path / "Versions" / "Base1").mkdir(parents=True)
    (tmp_path / "Versions" / "Base1" / "SC2_x64").touch()
    with pytest.raises(SC2NotFoundError, match=r"mini-game map .*MoveToBeacon.SC2Map not found"):
        PySC2Backend("MoveToBeacon")


def test_wave_survivors_recreated_by_the_map_keep_their_agents(mock):
    """DefeatRoaches' gt_ScoreUpdatesandVictory re-creates every surviving Marine (new tags, same hit points)
    and adds 5 more at each wave: survivors keep their names, only the dead count as losses, and three
    waves use 3 + 3 x 5 agent slots, not more."""
    marines = [unit(MARINE, SELF, 10.5, 20.5 + i, hp, 45) for i, hp in enumerate((45, 20, 30))]
    roach = unit(ROACH, ENEMY, 20.5, 20.5, 145, 145)
    mock.next_timestep = [timestep(mock, [*marines, roach], tags=[1, 2, 3, 4])]
    env = SC2Env(PySC2Backend.from_env(mock, "DefeatRoaches"))
    env.reset(seed=0)
    assert env.agents == ["marine_0", "marine_1", "marine_2"]
    sent = []
    real_step = mock.step
    mock.step = lambda acts, step_mul=None: (sent.append(acts[0]), real_step(acts))[1]
    # the wave: the Roach died (+10) and marine_1 (tag 2) too (-1); tags 1 and 3 came back as 10 and 11
    # (same hit points, in a line on the other side), 5 reinforcements 12-16, 4 new Roaches 17-20
    back = [unit(MARINE, SELF, 40.5, 20.5 + i, hp, 45) for i, hp in enumerate((45, 30))]
    extra = [unit(MARINE, SELF, 40.5, 22.5 + i, 45, 45) for i in range(5)]
    roaches = [unit(ROACH, ENEMY, 30.5, 20.5 + i, 145, 145) for i in range(4)]
    mock.next_timestep = [timestep(mock, [*back, *extra, *roaches], score=9, tags=list(range(10, 21)))]
    _, rew, term, _, infos = env.step({"marine_0": 0, "marine_1": 0, "marine_2": 0})
    assert term == {"marine_0": False, "marine_1": True, "marine_2": False} | {
        f"marine_{i}": False for i in range(3, 8)
    }
    assert env.agents == ["marine_0", "marine_2"] + [f"marine_{i}" for i in range(3, 8)]
    assert infos["marine_0"]["losses"] == 1 and infos["marine_0"]["kills"] == 1 and rew["marine_0"] == 9.0
    assert env._agent_tag["marine_2"] == 3  # the survivor's old tag: orders reach the re-created unit
    env.step({"marine_2": N_FIXED})  # attack the first Roach
    assert sent[-1][0].function == actions.RAW_FUNCTIONS.Attack_unit.id and sent[-1][0].arguments[1] == [1]
    # two more waves without losses: 7 survivors re-created, 5 more each time; names never run out
    tag, alive = 21, 7
    for wave in range(2):
        hps = [45, 30] + [45] * (alive + 3)  # marine_2 kept its 30 hit points
        lines = [unit(MARINE, SELF, 10.5, 10.5 + i, hp, 45) for i, hp in enumerate(hps)]
        foes = [unit(ROACH, ENEMY, 40.5, 20.5 + i, 145, 145) for i in range(4)]
        mock.next_timestep = [
            timestep(mock, [*lines, *foes], score=9 + 10 * (wave + 1), tags=list(range(tag, tag + alive + 9)))
        ]
        _, _, term, _, infos = env.step(dict.fromkeys(env.agents, 0))
        tag, alive = tag + alive + 9, alive + 5
        assert infos["marine_0"]["losses"] == 0 and not any(term.values())
        assert len(env.agents) == alive and env.agents[:2] == ["marine_0", "marine_2"]
    assert len(env._agent_tag) == 3 + 3 * 5 <= len(env.possible_agents)

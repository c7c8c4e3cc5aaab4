"""Observation adapters: what a teacher sees of the student's observations and masks."""

import pickle

import pytest
import torch
from gymnasium import spaces

import envs
from envs.sc2.interface import ObsLayout
from repaint_ma.adapters import ADAPTERS
from repaint_ma.errors import TeacherError
from repaint_ma.networks import ActorCritic, save_policy
from repaint_ma.teacher import load_teacher


def test_identity_passes_everything():
    obs, mask = torch.randn(3, 5), torch.ones(3, 4, dtype=torch.bool)
    out, out_mask = ADAPTERS["identity"](5, {})(obs, mask)
    assert out is obs and out_mask is mask


def test_first_features_drops_the_tail():
    obs = torch.arange(12.0).reshape(2, 6)  # e.g. 4 features + a 2-agent indicator
    out, mask = ADAPTERS["first_features"](4, {})(obs, None)
    assert out.tolist() == [[0, 1, 2, 3], [6, 7, 8, 9]] and mask is None


def test_nearest_target_as_beacon_on_collect_mineral_shards():
    env = envs.make("sc2/CollectMineralShards")
    obs, _ = env.reset(seed=3)
    o = obs["marine_0"]
    x = torch.as_tensor(o["observation"])[None]
    m = torch.as_tensor(o["action_mask"]).bool()[None]
    out, mask = ADAPTERS["nearest_target_as_beacon"](x.shape[-1], {})(x, m)
    # default layout (envs/sc2/interface.py): own 12 values, 4 ally blocks of 15, 8 target blocks of 16, time left;
    # type one-hot at +8 of a block, in the order Marine, Zergling, Roach, Baneling, Beacon, MineralShard, other
    assert x.shape[-1] == 12 + 4 * 15 + 8 * 16 + 1 == 201
    t0 = 12 + 4 * 15
    assert x[0, 12] == 1.0  # the other marine fills ally slot 0 for the student ...
    assert torch.all(out[0, 12:t0] == 0)  # ... the teacher sees no ally
    assert torch.equal(out[0, :12], x[0, :12]) and out[0, -1] == x[0, -1]
    assert x[0, t0 + 8 + 5] == 1.0 and x[0, t0 + 8 + 4] == 0.0  # slot 0 holds a shard
    assert out[0, t0 + 8 + 4] == 1.0 and out[0, t0 + 8 + 5] == 0.0  # the teacher sees a beacon there
    assert torch.equal(out[0, t0 : t0 + 8], x[0, t0 : t0 + 8])  # same place, distance, health
    assert x[0, t0 + 16] == 1.0 and torch.all(out[0, t0 + 16 : -1] == 0)  # other shards hidden
    assert m[0, 10:].all() and mask[0, :11].all() and not mask[0, 11:].any()


def test_nearest_target_as_beacon_reads_the_layout_of_the_env_kwargs():
    """Fewer ally slots and an appended agent indicator: the teacher still sees its own layout's values."""
    kwargs = {"k_allies": 1, "k_targets": 3}
    env = envs.make("sc2/CollectMineralShards", **kwargs)
    o = env.reset(seed=3)[0]["marine_0"]
    layout = ObsLayout.for_env_kwargs(kwargs)
    assert o["observation"].shape == (layout.obs_dim,) == (12 + 15 + 3 * 16 + 1,)
    x = torch.cat([torch.as_tensor(o["observation"]), torch.tensor([1.0, 0.0])])[None]  # + a 2-agent indicator
    out, _ = ADAPTERS["nearest_target_as_beacon"](layout.obs_dim, kwargs)(x, None)
    t0 = layout.target_start(0)
    assert out.shape == (1, layout.obs_dim) and out[0, layout.time_left] == x[0, layout.time_left] > 0
    assert out[0, t0] == 1.0 and out[0, t0 + ObsLayout.beacon_col] == 1.0


def test_adapter_that_does_not_fit_is_a_load_error(tmp_path):
    save_policy(ActorCritic(4, spaces.Discrete(2), [8]), tmp_path / "policy.pt")
    with pytest.raises(TeacherError, match="adapter 'nearest_target_as_beacon' does not fit"):
        load_teacher(tmp_path, "nearest_target_as_beacon", 4, spaces.Discrete(2), {})
    with pytest.raises(TeacherError, match=r"teacher observation shape \(4,\) does not match the env's \(6,\)"):
        load_teacher(tmp_path, "identity", 6, spaces.Discrete(2), {})
    teacher = load_teacher(tmp_path, "first_features", 6, spaces.Discrete(2), {})  # 4 features + a 2-agent indicator
    assert teacher.dist(torch.zeros(3, 6)).params.shape == (3, 2)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_a_teacher_pickles_with_every_adapter(name, tmp_path):
    """Workers that sample actions themselves receive the teacher pickled."""
    env = envs.make("sc2/CollectMineralShards")
    obs, _ = env.reset(seed=3)
    x = torch.as_tensor(obs["marine_0"]["observation"])[None]
    m = torch.as_tensor(obs["marine_0"]["action_mask"]).bool()[None]
    dim = x.shape[-1] - 1 if name == "first_features" else x.shape[-1]
    save_policy(ActorCritic(dim, env.action_space("marine_0"), [8]), tmp_path / "policy.pt")
    teacher = load_teacher(tmp_path, name, x.shape[-1], env.action_space("marine_0"), {})
    copy = pickle.loads(pickle.dumps(teacher))
    assert torch.equal(copy.dist(x, m).params, teacher.dist(x, m).params)

"""`repaint bench sc2 --policy`: trained entries beside random, scripted and SC2LE."""

import json

import numpy as np
import pytest
import yaml
from gymnasium import spaces

import envs
from envs.vector import VecParallelEnv
from repaint_ma.apps.cli import main
from repaint_ma.networks import ActorCritic, load_policy, save_policy
from repaint_ma.rollout import EVAL_SEED_OFFSET, evaluate


def test_trained_entry_scores_as_the_learner_evaluates_it(capsys):
    assert main(["bench", "sc2", "--policy", "beacon=teachers/sc2-beacon", "--episodes", "3", "--deterministic",
                 "--json"]) == 0  # fmt: skip
    row = json.loads(capsys.readouterr().out)["MoveToBeacon"]  # only the entry's mini-game ran
    assert row["agents"] == ["random", "scripted", "beacon"] and row["label"] == "built-in engine"
    policy, _ = load_policy("teachers/sc2-beacon/policy.pt")
    vec = VecParallelEnv([lambda: envs.make("sc2/MoveToBeacon")] * 3, autoreset=False)
    by_hand = evaluate(policy, vec, seed=-EVAL_SEED_OFFSET, deterministic=True)  # env e gets seed e, as episode e
    assert row["beacon"] == pytest.approx(np.mean(by_hand))
    assert row["beacon_max"] == max(by_hand) and row["beacon"] > row["random"] + 10


def _bench_error(capsys, entry):
    assert main(["bench", "sc2", "--policy", entry, "--episodes", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and entry.split("=")[-1] in err
    return err


def test_bad_entries_are_one_line_errors(tmp_path, capsys):
    assert "not a run dir" in _bench_error(capsys, str(tmp_path))
    assert "not an SC2 mini-game" in _bench_error(capsys, "teachers/cartpole-expert")
    save_policy(ActorCritic(10, spaces.Discrete(18), [8]), tmp_path / "policy.pt")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"env": {"id": "sc2/MoveToBeacon", "kwargs": {}}}))
    assert "observation size 10 does not match sc2/MoveToBeacon's 201" in _bench_error(capsys, f"x={tmp_path}")


def test_sb3_view_gives_supersuit_every_possible_agent_from_reset():
    # SB3's side of benchmarks/train_throughput.py: agents that join late or died are zero slots
    import supersuit as ss
    from pettingzoo.test import parallel_api_test

    from benchmarks.train_throughput import EveryAgentView

    parallel_api_test(EveryAgentView(envs.make("sc2/DefeatRoaches")), num_cycles=50)
    inner = envs.make("sc2/DefeatRoaches")
    vec = ss.pettingzoo_env_to_vec_env_v1(EveryAgentView(inner))
    obs, _ = vec.reset(seed=0)
    joined = len(inner.agents)
    assert obs.shape == (len(inner.possible_agents), 201) and 0 < joined < len(inner.possible_agents)
    assert not obs[joined:].any() and obs[:joined].any(axis=1).all()
    rng = np.random.default_rng(0)
    for _ in range(300):  # past the episode's end (SuperSuit resets it): any action, masked ones too
        obs, rewards, terminated, truncated, _ = vec.step(rng.integers(0, 18, len(obs)))
        assert obs.shape[0] == len(rewards) == len(inner.possible_agents)
        assert terminated.all() or truncated.all() or not (terminated.any() or truncated.any())


def test_record_writes_each_agents_first_episode(tmp_path, monkeypatch, capsys):
    from repaint_ma.apps import replay_sc2

    written = {}  # GIF writing itself: tests/test_ux.py; here, which frames each replay gets (seconds, not minutes)
    monkeypatch.setattr(replay_sc2, "write_sc2_gif", lambda frames, *args: written.setdefault(args[-1].name, frames))
    assert main(["bench", "sc2", "--maps", "MoveToBeacon", "--episodes", "2", "--record", str(tmp_path)]) == 0
    names = ["MoveToBeacon-random-seed0.gif", "MoveToBeacon-scripted-seed0.gif"]
    assert capsys.readouterr().err.strip() == "written: " + ", ".join(str(tmp_path / n) for n in names)
    first = envs.make("sc2/MoveToBeacon").backend.reset(seed=0).units  # episode 1 of each agent: seed 0
    for name in names:
        frames = written[name]
        assert len(frames) == 241  # the start and one per agent step of a 240-step episode
        assert np.array_equal(frames[0].units.x, first.x) and np.array_equal(frames[0].units.y, first.y)

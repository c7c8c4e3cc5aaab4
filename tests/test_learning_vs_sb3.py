"""The settings map of benchmarks/learning_vs_sb3.py: our scenario as SB3's PPO arguments."""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("stable_baselines3")
pytest.importorskip("supersuit")

from benchmarks.learning_vs_sb3 import load
from benchmarks.train_throughput import sb3_ppo_kwargs


def test_pendulum_maps_to_the_sb3_kwargs_expected() -> None:
    sc = load("pendulum", seed=0, steps=None)
    kw = sb3_ppo_kwargs(sc)
    schedule = kw.pop("learning_rate")
    assert kw == {
        "n_steps": 1024,  # 4096 env steps per iteration over 4 envs
        "batch_size": 64,
        "n_epochs": 10,
        "gamma": 0.9,
        "gae_lambda": 0.95,
        "clip_range": 0.2,
        "clip_range_vf": None,
        "normalize_advantage": True,
        "ent_coef": 0.0,
        "vf_coef": 0.25,  # SB3's value loss is the MSE, ours half of it: the same loss
        "max_grad_norm": 0.5,
        "policy_kwargs": {
            "net_arch": {"pi": [64, 64], "vf": [64, 64]},
            "activation_fn": torch.nn.Tanh,
            "ortho_init": True,
            "log_std_init": 0.0,
        },
    }
    # ours anneals lr * (1 - (k - 1) / K) at iteration k; SB3 calls the schedule with 1 - k / K there
    K = sc.train.iterations
    for k in (1, 2, 61, K):
        assert schedule(1.0 - k / K) == pytest.approx(1e-3 * (1.0 - (k - 1) / K))


def test_constant_lr_and_steps_override() -> None:
    sc = load("cartpole", seed=2, steps=20_480)
    assert (sc.train.iterations, sc.train.seed, sc.transfer.mode) == (10, 2, "baseline")
    assert sb3_ppo_kwargs(sc)["learning_rate"] == 1e-3
    assert load("reacher", seed=0, steps=None).transfer.mode == "baseline"  # a transfer scenario's baseline

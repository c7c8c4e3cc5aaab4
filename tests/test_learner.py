"""The learner learns, is deterministic, resumes after kill -9, and stops on NaN."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from repaint_ma import repaint
from repaint_ma.learner import TrainingDiverged, train
from repaint_ma.networks import ActorCritic, save_policy
from repaint_ma.runlog import read_metrics
from repaint_ma.scenario import from_dict
from repaint_ma.workers import make_vec

TOY = {
    "name": "toy",
    "env": {"id": "toy/staggered", "kwargs": {}},
    "ppo": {"steps_per_iteration": 256, "epochs": 4, "minibatch": 64, "lr": 3e-3, "num_envs": 4,
            "hidden": [32], "agent_indicator": True},
    "train": {"iterations": 15, "target_score": 5.5, "eval_episodes": 8},
}  # fmt: skip


def _metrics(run_dir):
    """metrics.csv rows without the timing columns (which differ between identical runs)."""
    return [{k: v for k, v in r.items() if k not in ("sps", "wall_s")} for r in read_metrics(run_dir / "metrics.csv")]


def test_learns_the_masked_multi_agent_toy(tmp_path):
    res = train(from_dict(TOY), tmp_path / "run", progress=False)
    # random legal play scores ~2.4 of the optimal 6 (one reward per step)
    assert res.scores[0] < 4.0
    assert res.final_score > 5.5
    assert res.K is not None


def test_same_seed_same_metrics(tmp_path):
    sc = from_dict(TOY, overrides={"train.iterations": 3})
    train(sc, tmp_path / "a", progress=False)
    train(sc, tmp_path / "b", progress=False)
    assert _metrics(tmp_path / "a") == _metrics(tmp_path / "b")
    assert len(_metrics(tmp_path / "a")) == 3


def test_worker_processes_give_the_same_metrics(tmp_path):
    sc = from_dict(TOY, overrides={"train.iterations": 2})
    train(sc, tmp_path / "local", progress=False)
    train(from_dict(TOY, overrides={"train.iterations": 2, "ppo.workers": 2}), tmp_path / "procs", progress=False)
    assert _metrics(tmp_path / "local") == _metrics(tmp_path / "procs")


def test_local_ray_gives_the_same_metrics(tmp_path):
    """Per-step acting on Ray equals the in-process run; sampling in the workers equals sampling in
    worker processes with the same split."""
    pytest.importorskip("ray")
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        overrides = {"train.iterations": 2, "ppo.backend": "ray", "ppo.workers": 2}
        train(from_dict(TOY, overrides={"train.iterations": 2}), tmp_path / "local", progress=False)
        train(from_dict(TOY, overrides=overrides), tmp_path / "ray", progress=False)
        sampled = {**overrides, "ppo.sample_in_workers": True}
        train(from_dict(TOY, overrides=sampled), tmp_path / "ray-sampled", progress=False)
    finally:
        ray.shutdown()
    assert _metrics(tmp_path / "local") == _metrics(tmp_path / "ray")
    procs = {"train.iterations": 2, "ppo.workers": 2, "ppo.sample_in_workers": True}
    train(from_dict(TOY, overrides=procs), tmp_path / "procs-sampled", progress=False)
    assert _metrics(tmp_path / "procs-sampled") == _metrics(tmp_path / "ray-sampled")


def test_sampling_in_workers_learns_and_is_reproducible(tmp_path):
    sc = from_dict(TOY, overrides={"ppo.workers": 2, "ppo.sample_in_workers": True})
    res = train(sc, tmp_path / "a", progress=False)
    assert res.final_score > 5.5
    again = from_dict(TOY, overrides={"ppo.workers": 2, "ppo.sample_in_workers": True, "train.iterations": 3})
    train(again, tmp_path / "b", progress=False)
    assert _metrics(tmp_path / "b") == _metrics(tmp_path / "a")[:3]
    # each worker samples from its own seed: not the in-process run's numbers
    train(from_dict(TOY, overrides={"train.iterations": 3}), tmp_path / "local", progress=False)
    assert _metrics(tmp_path / "local") != _metrics(tmp_path / "b")


def test_repaint_with_workers_sampling_sends_the_teacher_to_the_workers(tmp_path):
    """S~ is rolled in the workers by a pickled teacher; the KS term still sees the teacher's
    distribution on S (computed by the learner)."""
    vec = make_vec(from_dict(TOY), 1)
    (tmp_path / "teacher").mkdir()
    save_policy(ActorCritic(vec.obs_dim, vec.action_space, [16]), tmp_path / "teacher" / "policy.pt")
    vec.close()
    overrides = {"train.iterations": 2, "ppo.workers": 2, "ppo.sample_in_workers": True, "transfer.mode": "repaint",
                 "transfer.teacher_steps": 64, "teacher": {"path": str(tmp_path / "teacher")}}  # fmt: skip
    train(from_dict(TOY, overrides=overrides), tmp_path / "run", progress=False)
    rows = _metrics(tmp_path / "run")
    assert [r["teacher_steps"] for r in rows] == [64, 64]
    assert all(r["loss_ks"] > 0 and r["selected_frac"] is not None for r in rows)


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    from repaint_ma import learner

    checkpoints = []
    real_save, real_loss = learner.save_checkpoint, repaint.clipped_surrogate_loss
    monkeypatch.setattr(learner, "save_checkpoint", lambda d, s: (checkpoints.append(1), real_save(d, s)))

    def poisoned(logratio, adv, clip):  # NaN once iteration 1 is checkpointed
        return real_loss(logratio, adv, clip) * (float("nan") if checkpoints else 1.0)

    monkeypatch.setattr(repaint, "clipped_surrogate_loss", poisoned)
    with pytest.raises(TrainingDiverged, match=r"critic \+ actor loss is nan at iteration 2"):
        train(from_dict(TOY), tmp_path / "run", progress=False)
    blob = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=False)
    assert blob["iteration"] == 1
    assert len(read_metrics(tmp_path / "run" / "metrics.csv")) == 1


CARTPOLE = """
name: resume-test
env: {id: classic/CartPole-v1}
ppo: {steps_per_iteration: 512, epochs: 2, minibatch: 128, num_envs: 2}
train: {iterations: 12, eval_episodes: 2}
"""


def test_kill_minus_9_then_resume_is_contiguous(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(CARTPOLE)
    run_dir = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "repaint_ma.apps.cli",
        "run",
        str(scenario),
        "--run-dir",
        str(run_dir),
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while len(read_metrics(run_dir / "metrics.csv")) < 3 and time.time() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(read_metrics(run_dir / "metrics.csv"))
    assert 3 <= done_before < 12
    out = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    its = [int(r["iteration"]) for r in read_metrics(run_dir / "metrics.csv")]
    assert its == list(range(1, 13))
    steps = [int(r["env_steps"]) for r in read_metrics(run_dir / "metrics.csv")]
    assert steps == [512 * i for i in range(1, 13)]
    assert Path(run_dir / "policy.pt").is_file() and not list(run_dir.glob("*.tmp"))
    command = yaml.safe_load((run_dir / "card.yaml").read_text())["command"]
    assert command == f"repaint run {scenario} --run-dir {run_dir} --quiet"  # the recipe, without --resume

"""Issue 23: no code runs from a policy file, no metrics row is lost, one run per run dir, and a resume
or a compare never mixes settings silently."""

import csv
import errno
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from gymnasium import spaces
from tiny import ROOT, TINY, cli

from repaint_ma.checkpoint import atomic_write, load_checkpoint
from repaint_ma.errors import PolicyFileError, UsageError, WriteError
from repaint_ma.learner import train
from repaint_ma.networks import ActorCritic, load_policy
from repaint_ma.runlog import MetricsLog, read_metrics
from repaint_ma.scenario import from_dict


class _Payload:
    """Pickles as a call that creates ``marker``: what a hostile policy file would run on load."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (open, (str(self.marker), "w"))


def _old_format_policy(path: Path, payload: object = None) -> ActorCritic:
    """A policy file as the old save_policy wrote it (a pickled Space in its config), optionally with a payload."""
    model = ActorCritic(3, spaces.Discrete(2), [8])
    torch.save({"config": model.config, "state_dict": model.state_dict(), "x": payload}, path)
    return model


def test_loading_a_policy_or_checkpoint_runs_no_code_from_it(tmp_path):
    marker = tmp_path / "pwned"
    _old_format_policy(tmp_path / "policy.pt", _Payload(marker))
    with pytest.raises(PolicyFileError, match="repaint convert-policy"):
        load_policy(tmp_path / "policy.pt")
    torch.save({"model": {}, "rng": {}, "x": _Payload(marker)}, tmp_path / "checkpoint.pt")
    with pytest.raises(PolicyFileError, match="pickled Python objects"):
        load_checkpoint(tmp_path)
    assert not marker.exists()


def test_eval_of_a_hostile_policy_is_one_line_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    run = tmp_path / "run"
    run.mkdir()
    _old_format_policy(run / "policy.pt", _Payload(marker))
    (run / "config.yaml").write_text(yaml.safe_dump(from_dict(TINY).to_dict()))
    proc = cli("eval", str(run), "--episodes", "1")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert not marker.exists()


def test_convert_policy_rewrites_a_trusted_old_file_that_then_acts_the_same(tmp_path):
    model = _old_format_policy(tmp_path / "policy.pt")
    proc = cli("convert-policy", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    loaded, _ = load_policy(tmp_path / "policy.pt")
    obs = torch.randn(5, 3)
    assert torch.equal(loaded.dist(loaded.normalize(obs)).params, model.dist(model.normalize(obs)).params)


def test_shipped_teachers_are_converted_and_act_as_before_conversion():
    """The distributions (and values) the teachers' old-format files gave on fixed observations."""
    before = json.loads((ROOT / "tests/data/teacher_outputs.json").read_text())
    assert sorted(before) == sorted(p.name for p in (ROOT / "teachers").iterdir())
    for name, want in before.items():
        model, _ = load_policy(ROOT / "teachers" / name / "policy.pt")
        obs = torch.randn(4, model.config["obs_dim"], generator=torch.Generator().manual_seed(0)) * 2
        with torch.no_grad():
            z = model.normalize(obs)
            assert torch.allclose(model.dist(z).params, torch.tensor(want["params"]), atol=1e-5), name
            assert torch.allclose(model.value(z), torch.tensor(want["value"]), atol=1e-5), name


@pytest.mark.parametrize("content", [b"", b"not a torch file at all" * 20, "half"])
def test_an_empty_garbage_or_truncated_policy_file_is_a_user_error(tmp_path, content):
    good = ROOT / "teachers/cartpole-expert/policy.pt"
    data = good.read_bytes()[: good.stat().st_size // 2] if content == "half" else content
    (tmp_path / "policy.pt").write_bytes(data)
    with pytest.raises(PolicyFileError, match=r"policy\.pt"):
        load_policy(tmp_path / "policy.pt")


def _rows(n: int) -> list[dict]:
    return [{"iteration": i, "env_steps": 64 * i, "score": float(i)} for i in range(1, n + 1)]


def test_a_failed_rewrite_of_metrics_on_resume_keeps_every_row(tmp_path, monkeypatch):
    log = MetricsLog(tmp_path, tensorboard=False)
    for row in _rows(3):
        log.write(row)

    def disk_full(self, rows):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(csv.DictWriter, "writerows", disk_full)
    with pytest.raises(OSError):  # resuming from iteration 1 drops rows 2-3, but the disk is full
        MetricsLog(tmp_path, last_iteration=1, tensorboard=False)
    assert [r["iteration"] for r in read_metrics(tmp_path / "metrics.csv")] == [1, 2, 3]


def test_atomic_write_failure_keeps_the_old_file_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "record.json"
    target.write_text("old")

    def fail(f):
        f.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(WriteError, match=r"record\.json"):
        atomic_write(target, fail)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["record.json"]


def test_ctrl_c_during_an_atomic_write_stays_a_ctrl_c_when_the_writer_fails_cleaning_up(tmp_path):
    # torch.save's zip writer raises RuntimeError in its __exit__ when a Ctrl-C interrupted the write (seen in CI)
    target = tmp_path / "checkpoint.pt"
    target.write_text("old")

    class ZipWriter:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 64 vs 0")

    def interrupted(f):
        with ZipWriter():
            f.write(b"partial")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, interrupted)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]


def test_a_second_run_into_a_locked_run_dir_is_refused_naming_the_holder(tmp_path):
    run = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom repaint_ma.rundir import RunDirLock\n"
         f"with RunDirLock(__import__('pathlib').Path({str(run)!r})):\n    print('held', flush=True); time.sleep(60)"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(UsageError, match=f"in use by another run \\(pid {holder.pid} "):
            train(from_dict(TINY), run, progress=False)
    finally:
        holder.kill()
        holder.wait()
    assert not (run / "metrics.csv").exists()


def test_a_new_run_into_a_dir_holding_a_run_is_refused_unless_overwrite(tmp_path):
    sc = from_dict(TINY)
    train(sc, tmp_path / "run", progress=False)
    before = (tmp_path / "run" / "metrics.csv").read_text()
    with pytest.raises(UsageError, match=r"already holds a run.*--overwrite"):
        train(sc, tmp_path / "run", progress=False)
    assert (tmp_path / "run" / "metrics.csv").read_text() == before
    train(sc, tmp_path / "run", progress=False, overwrite=True)
    assert len(read_metrics(tmp_path / "run" / "metrics.csv")) == 1


def test_resume_with_a_changed_scenario_is_refused_before_touching_the_run_dir(tmp_path):
    run = tmp_path / "run"
    train(from_dict(TINY), run, progress=False)
    config = (run / "config.yaml").read_text()
    changed = from_dict(TINY, overrides={"ppo.lr": 1e-3, "ppo.hidden": [4]})
    with pytest.raises(UsageError, match=r"\(ppo\.hidden: \[8\] -> \[4\]; ppo\.lr: 0\.0003 -> 0\.001\)"):
        train(changed, run, resume=True, progress=False)
    assert (run / "config.yaml").read_text() == config
    with pytest.raises(UsageError, match="does not fit the scenario's network"):  # allowed, but cannot load
        train(changed, run, resume=True, progress=False, allow_changed=["ppo.lr", "ppo.hidden"])


def test_resume_with_an_allowed_change_records_it_in_the_metrics(tmp_path):
    run = tmp_path / "run"
    train(from_dict(TINY), run, progress=False)
    more = from_dict(TINY, overrides={"ppo.lr": 1e-3, "train.iterations": 2})
    with pytest.raises(UsageError, match=r"train\.iterations: 1 -> 2"):
        train(more, run, resume=True, progress=False, allow_changed=["ppo.lr"])
    train(more, run, resume=True, progress=False, allow_changed=["ppo.lr", "train.iterations"])
    rows = read_metrics(run / "metrics.csv")
    assert [r["changed"] for r in rows] == [None, "ppo.lr=0.001 (was 0.0003); train.iterations=2 (was 1)"]

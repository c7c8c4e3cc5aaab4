"""`repaint leaderboard`: lap timing, penalty waits, resets, ranking, race types, determinism and bad input."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gymnasium import spaces

import envs
from repaint_ma.apps.cli import main
from repaint_ma.apps.leaderboard import MAX_RESETS, Entry, race
from repaint_ma.networks import ActorCritic, save_policy

CHROMIUM = "/usr/bin/chromium"


def board(capsys, *args):
    assert main(["leaderboard", "--format", "json", *args]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_lap_time_of_a_bot_and_ranking(capsys):
    # 2 m/s: DeepRacer's car does not hold the oval's 2 m bends at 3 m/s (4.5 m/s^2; its tyres give about 3.5)
    rows = board(capsys, "--track", "oval", "--entry", "slow=bot:pure-pursuit@1", "--entry", "bot:pure-pursuit@2",
                 "--trials", "1", "--laps", "1")  # fmt: skip
    assert [r["entry"] for r in rows] == ["pure-pursuit@2", "slow"] and [r["rank"] for r in rows] == [1, 2]
    length = envs.make("racing/single-car", track="oval").track.length  # 24.6 m
    for row, speed in zip(rows, (2.0, 1.0), strict=True):
        assert row["laps"] == 1 and row["offtrack"] == row["crashes"] == 0 and row["penalty_s"] == 0
        assert row["best_lap_s"] == row["total_time_s"]  # one lap, no penalty
        # about length / speed: the bot cuts the corners a little, and accelerates from rest
        assert 0.9 * length / speed <= row["best_lap_s"] <= 1.25 * length / speed
        assert row["best_lap_s"] * 15 == pytest.approx(round(row["best_lap_s"] * 15), abs=0.01)  # whole 15 Hz steps


def test_resets_wait_their_penalty_within_the_race_time():
    wild = Entry("wild=bot:pure-pursuit")
    wild.act = lambda env, obs, agents: {a: env.actions.encode(30.0, 3.0) for a in agents}  # full left, full speed
    run = race([wild], "oval", trial=0, laps=1, kind="time-trial", time_limit=60.0)[0]
    assert sum(run.resets.values()) == MAX_RESETS  # it keeps leaving the track: the next reset ends the run
    # DeepRacer's penalty seconds: off-track 2 s, crash 5 s, reversed 2 s, immobilized 0 s, waited in the race
    penalty = 2.0 * run.resets["offtrack"] + 5.0 * run.resets["crash"] + 2.0 * run.resets["reversed"]
    assert run.penalties == pytest.approx(penalty) and run.total_time == run.race_time > penalty
    assert run.race_time < 60.0 and run.laps == 0


def test_a_reset_puts_the_car_back_on_a_lane():
    env = envs.make("racing/single-car", track="oval", off_track="reset", max_steps=400)
    env.reset(seed=0)
    for _ in range(400):
        _, _, term, _, infos = env.step({"car_0": env.actions.encode(30.0, 3.0)})
        if infos["car_0"]["resets"]["offtrack"] + infos["car_0"]["resets"]["crash"]:
            break
    assert not term["car_0"] and "car_0" in env.agents
    _, _, _, _, infos = env.step({"car_0": env.actions.encode(0.0, 1.0)})
    p = infos["car_0"]["params"]
    assert p["distance_from_center"] == pytest.approx(0.225, abs=0.01) and not p["is_offtrack"]  # a lane
    assert infos["car_0"]["status"] == "pause"


def test_same_command_same_table(capsys, tmp_path):
    args = ["--track", "oval", "--entry", "bot:pure-pursuit@2", "--entry", "teachers/racing-centerline",
            "--trials", "2", "--laps", "1", "--out", str(tmp_path)]  # fmt: skip
    first, second = board(capsys, *args), board(capsys, *args)
    assert first == second
    assert json.loads((tmp_path / "leaderboard.json").read_text()) == first
    assert (tmp_path / "leaderboard-oval.png").is_file() and (tmp_path / "leaderboard.csv").is_file()


def _error(capsys, *args):
    assert main(["leaderboard", "--trials", "1", "--laps", "1", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    return err


def test_bad_input_is_one_clear_line(capsys, tmp_path):
    assert "no such file" in _error(capsys, "--track", str(tmp_path / "nope.npy"), "--entry", "bot:pure-pursuit")
    np.save(tmp_path / "bad.npy", np.zeros((10, 3)))
    assert "bad.npy" in _error(capsys, "--track", str(tmp_path / "bad.npy"), "--entry", "bot:pure-pursuit")
    assert "not a policy" in _error(capsys, "--track", "oval", "--entry", str(tmp_path))
    save_policy(ActorCritic(5, spaces.Discrete(15), [8]), tmp_path / "policy.pt")
    err = _error(capsys, "--track", "oval", "--entry", f"small={tmp_path}")
    assert "trained for observations of size 5, the race gives 21" in err
    assert "unknown bot" in _error(capsys, "--track", "oval", "--entry", "bot:rocket")


def test_head_to_model_object_avoidance_and_head_to_bot_races(capsys):
    # 2 m/s: DeepRacer's car does not hold the oval's 2 m bends at 3 m/s (4.5 m/s^2; its tyres give about 3.5)
    rows = board(capsys, "--track", "oval", "--race", "head-to-model", "--entry", "bot:pure-pursuit@1",
                 "--entry", "bot:pure-pursuit@2", "--trials", "1", "--laps", "1")  # fmt: skip
    fast, slow = (next(r for r in rows if r["entry"] == f"pure-pursuit@{v}") for v in (2, 1))
    # one race, both on the centre line: the fast car starts behind the slow one and runs into it each time it
    # catches up; only the car behind crashes (the simulator's rule), so the slow one never does
    assert fast["laps"] == slow["laps"] == 1 and fast["crashes"] >= 1 and slow["crashes"] == 0
    assert [r["rank"] for r in rows] == [1, 2] and rows[0]["total_time_s"] < rows[1]["total_time_s"]
    for row in rows:  # each crash waits COLLISION_PENALTY 5 s, within the lap time
        assert row["penalty_s"] == 5.0 * row["crashes"] and row["total_time_s"] == row["best_lap_s"]
    rows = board(capsys, "--track", "oval", "--race", "object-avoidance", "--obstacles", "3",
                 "--entry", "bot:pure-pursuit@3", "--trials", "1", "--laps", "1")  # fmt: skip
    assert len(rows) == 1 and rows[0]["crashes"] >= 1  # following the centre line, it runs into a box
    assert rows[0]["penalty_s"] == pytest.approx(5.0 * rows[0]["crashes"] + 2.0 * rows[0]["offtrack"])
    rows = board(capsys, "--track", "oval", "--race", "head-to-bot", "--bots", "1", "--entry", "bot:pure-pursuit@2",
                 "--trials", "1", "--laps", "1", "--reverse")  # fmt: skip
    assert len(rows) == 1 and rows[0]["laps"] == 1  # the bot car is not an entry


@pytest.fixture(scope="module")
def page_dir(tmp_path_factory):
    """A leaderboard with replays and its page: two bots, one race of 1 s (15 control steps) each."""
    out = tmp_path_factory.mktemp("board")
    assert main(["leaderboard", "--track", "oval", "--entry", "fast <b>=bot:pure-pursuit@3", "--entry",
                 "bot:pure-pursuit@1", "--trials", "1", "--time-limit", "1", "--out", str(out), "--record",
                 str(out / "replays")]) == 0  # fmt: skip
    return out


def test_record_writes_a_replay_per_entry_and_track_and_the_page_shows_them(page_dir):
    from PIL import Image

    replays = {"fast <b>": "oval-1-fast_b_.gif", "pure-pursuit@1": "oval-2-pure-pursuit_1.gif"}
    for row in json.loads((page_dir / "leaderboard.json").read_text()):
        gif = page_dir / "replays" / replays[row["entry"]]
        assert Image.open(gif).n_frames == round(row["total_time_s"] * 15) + 1 == 16  # the start, one per step
    page = (page_dir / "index.html").read_text()
    assert page.count("<tr data-track") == 2 and 'data-entry="fast &lt;b&gt;"' in page  # names are escaped
    for name in [*(f"replays/{gif}" for gif in replays.values()), "leaderboard-oval.png"]:
        assert f'src="{name}"' in page  # relative: the folder can move


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no {CHROMIUM} (Debian: apt-get install chromium)")
def test_page_loads_in_chromium_with_no_error_and_every_entry(page_dir, tmp_path):
    check = [sys.executable, str(Path(__file__).parents[1] / "scripts" / "check_leaderboard_page.py")]
    run = subprocess.run([*check, str(page_dir)], capture_output=True, text=True, timeout=180)
    assert run.returncode == 0 and run.stdout.startswith("ok: "), run.stdout + run.stderr
    broken = tmp_path / "broken"  # the check fails a page with a missing image or a row too few
    shutil.copytree(page_dir, broken)
    (broken / "replays" / "oval-2-pure-pursuit_1.gif").unlink()
    page = (broken / "index.html").read_text()
    (broken / "index.html").write_text(re.sub(r"<tr data-track=\"oval\" data-entry=\"pure.*?</tr>", "", page))
    run = subprocess.run([*check, str(broken)], capture_output=True, text=True, timeout=180)
    assert run.returncode == 1
    assert "1 script errors or images that failed to load" in run.stdout and "rows shown" in run.stdout

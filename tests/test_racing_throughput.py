"""benchmarks/racing_throughput.py: the env's time against the bare physics timed inside the same steps, and the
summary of repeated runs."""

from __future__ import annotations

import pytest

from benchmarks.racing_throughput import measure, summarize


def test_summary_is_the_median_of_each_number_with_the_ratios_range():
    runs = [{"cars": 1, "ratio": r, "control_steps_per_s": s} for r, s in ((1.2, 100.0), (1.5, 90.0), (1.3, 50.0))]
    summary = summarize(runs)  # medians, not means (1.33 and 80)
    assert summary == {"cars": 1, "ratio": 1.3, "control_steps_per_s": 90.0, "ratio_min": 1.2, "ratio_max": 1.5,
                       "runs": 3}  # fmt: skip


@pytest.mark.parametrize("cars", [1, 2])
def test_the_physics_is_timed_inside_the_env_step(cars):
    result = measure(cars, 30, "oval", 2.0)
    assert result["cars_still_racing"] == cars and result["substeps"] == 15
    env_s, physics_s = 30 / result["control_steps_per_s"], 30 / result["bare_physics_steps_per_s"]
    assert result["ratio"] == pytest.approx(env_s / physics_s)
    assert 1.0 < result["ratio"] < 2.0  # the 15 substeps are most of a step (1.2-1.5 on any load seen so far)
    assert result["agent_steps_per_s"] == pytest.approx(cars * result["control_steps_per_s"])

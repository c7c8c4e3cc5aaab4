#!/usr/bin/env bash
# Behaviour check for refactors: five short fixed-seed runs of the code in SRC_DIR, each printed as a
# hash of its metrics.csv (timing and diagnostic columns dropped) and of its final weights. A change
# that must not alter training prints the same five lines before and after.
#   usage: scripts/fixed_seed_hashes.sh SRC_DIR OUT_DIR   (PY=path/to/python to choose the interpreter;
#          EXTRA="--set key=value" adds overrides to every run)
# Runs: CartPole baseline, CartPole repaint, SC2 beacon -> shards repaint, one racing iteration, and
# CartPole repaint with two workers sampling and S~ collected ahead.
set -euo pipefail
SRC=$(cd "$1" && pwd); OUT=$2; PY=${PY:-$SRC/.venv/bin/python}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd); cd "$SRC"
run() { name=$1; shift; set -- "$@" ${EXTRA:-}
  rm -rf "${OUT:?}/$name"
  PYTHONPATH="$SRC" "$PY" -m repaint_ma.apps.cli run "$@" --quiet --run-dir "$OUT/$name" > "$OUT/$name.log" 2>&1 \
    || { echo "$name FAILED"; tail "$OUT/$name.log"; }
}
run cp-base scenarios/classic/cartpole.yaml --mode baseline --iterations 3 &
run cp-rep scenarios/classic/cartpole_transfer.yaml --mode repaint --iterations 3
wait
run sc2-rep scenarios/sc2/beacon_to_shards_subtask.yaml --mode repaint --iterations 2 --set ppo.steps_per_iteration=512 \
  --set train.eval_episodes=2 &
run race scenarios/racing/single-diffreward-b.yaml --mode repaint --iterations 1 --set ppo.steps_per_iteration=256 \
  --set transfer.teacher_steps=256 --set train.eval_episodes=1
wait
run cp-wk scenarios/classic/cartpole_transfer.yaml --mode repaint --iterations 2 --workers 2 \
  --set ppo.sample_in_workers=true --set transfer.teacher_ahead=true
for name in cp-base cp-rep sc2-rep race cp-wk; do
  PYTHONPATH="$SRC" "$PY" - "$OUT/$name" <<'PY'
import csv, hashlib, sys
import torch
d = sys.argv[1]
skip = {"sps", "wall_s", "ins_coef", "adv_teacher_mean", "changed"}
rows = list(csv.DictReader(open(d + "/metrics.csv")))
m = hashlib.sha256("\n".join(",".join(v for k, v in r.items() if k not in skip) for r in rows).encode())
sd = torch.load(d + "/checkpoint.pt", map_location="cpu", weights_only=True)["model"]
w = hashlib.sha256(b"".join(sd[k].numpy().tobytes() for k in sorted(sd)))
print(f"{d.split('/')[-1]:8s} metrics {m.hexdigest()[:16]} weights {w.hexdigest()[:16]} rows {len(rows)}")
PY
done

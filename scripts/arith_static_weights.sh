#!/usr/bin/env bash
# The measurement behind docs/results/arith-static.md: accuracy-heavy vs conciseness-heavy static weights
# at the default budget, three seeds each, two runs at a time (one torch thread each).
set -euo pipefail
out=${1:-runs/arith-static}
mkdir -p "$out"
for seed in 0 1 2; do
  morlbench run --method static --task arith --weights 0.8,0.1,0.1 --seed $seed --out "$out/acc-s$seed" --no-progress > /dev/null &
  morlbench run --method static --task arith --weights 0.1,0.8,0.1 --seed $seed --out "$out/con-s$seed" --no-progress > /dev/null &
  wait
done
python scripts/table_of_runs.py "$out"/acc-s* "$out"/con-s*

#!/usr/bin/env bash
# Regenerate the screenshots of docs/img from the committed leaderboard and a comparison report:
#   bash docs/img/make.sh [COMPARISON_DIR] [RUN_DIR]
# Needs Debian's chromium (apt-get install chromium). COMPARISON_DIR defaults to runs/sweeps/arith-v2/comparison
# (written by `morlbench sweep baselines/arith.toml`), RUN_DIR to one of that suite's runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
comparison=${1:-runs/sweeps/arith-v2/comparison}
run=${2:-runs/sweeps/arith-v2/arith/hypervolume/seed0}
shot() { chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size="$3" \
           --screenshot="$2" "file://$(realpath "$1")" 2> /dev/null; }
shot leaderboard/index.html docs/img/leaderboard-page.png 1500,1100
shot "$comparison/index.html" docs/img/comparison-page.png 1500,1400
cp "$run/curves.png" docs/img/curves.png
echo "wrote docs/img/leaderboard-page.png, comparison-page.png, curves.png"

#!/bin/bash
# Records this wave's reference suites in order, each resuming where it stopped, and commits what has finished
# every 10 minutes, so that a stop loses at most the runs in flight (docs/suites.md, "Recording"):
# arith-v3 ranked, arith-v3 variants, smollm2-arith tuning, smollm2-arith ranked (arith-v3's own tuning search is
# recorded). Commits carry each finished run's small files, the tuning records and, when result files changed, the
# regenerated leaderboard (CI checks that it regenerates byte for byte).
#   (setsid nohup bash baselines/record.sh > record.log 2>&1 &)      # from the repository root, venv built
set -u
cd "$(dirname "$0")/.."
[ -d .venv ] && . .venv/bin/activate

commit_finished() {  # $1: message
  local report dir file
  for report in $(find baselines/*-runs -name report.json 2>/dev/null); do
    dir=$(dirname "$report")
    for file in config.json eval.jsonl metrics.jsonl run.toml report.md report.json; do
      [ -f "$dir/$file" ] && git add "$dir/$file"
    done
  done
  for file in baselines/*.tuning.json; do [ -f "$file" ] && git add "$file"; done
  if [ -n "$(git status --porcelain leaderboard/results)" ]; then
    regenerate_leaderboard || return 1
  fi
  git diff --cached --quiet || git commit -q -m "$1"
}

regenerate_leaderboard() {  # the tables of exactly the result files staged with them
  local listed
  while :; do  # a run that finishes while the tables are built would be staged but not in them: build again
    listed=$(git ls-files --cached --others --exclude-standard leaderboard/results | sort)
    morlbench leaderboard > /dev/null || return 1
    git add leaderboard
    [ "$listed" = "$(git ls-files --cached leaderboard/results | sort)" ] && return 0
  done
}

stage() {  # $1: what the commits say; the rest: the command
  local message=$1 pid rc
  shift
  echo "$(date -u +%FT%TZ) start: $*"
  "$@" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 600
    commit_finished "$message: finished runs so far"
  done
  wait "$pid"
  rc=$?
  commit_finished "$message: finished runs so far"
  echo "$(date -u +%FT%TZ) end (exit $rc): $*"
  return $rc
}

stage "arith-v3 ranked" morlbench sweep baselines/arith-v3.toml --jobs 2 --out baselines/arith-v3-runs \
  --no-progress || exit 1
stage "arith-v3 variants" morlbench sweep baselines/arith-variants-v3.toml --jobs 2 \
  --out baselines/arith-variants-v3-runs --no-progress || exit 1
stage "smollm2-arith tuning" morlbench tune baselines/smollm2-arith.toml --jobs 2 \
  --out baselines/smollm2-arith-runs --no-progress || exit 1
stage "smollm2-arith ranked" morlbench sweep baselines/smollm2-arith.toml --jobs 2 \
  --out baselines/smollm2-arith-runs --no-progress || exit 1

#!/bin/bash
# Records this wave's reference suites in order, each resuming where it stopped, and commits what has finished
# every 10 minutes, so that a stop loses at most the runs in flight (docs/suites.md, "Recording"):
# arith-v3 ranked, arith-v3 variants, smollm2-arith tuning, smollm2-arith-static-paper (only when that search put
# static elsewhere than gradient-paper's lr), smollm2-arith ranked (arith-v3's tuning search is already recorded
# and not rerun). Commits carry each finished run's small files, the tuning records and, when
# result files changed, the regenerated leaderboard (CI checks that it regenerates byte for byte), and nothing else
# that is staged in the checkout. A stage whose runs failed is logged and the next one starts; the exit status says.
#   (setsid nohup bash baselines/record.sh > record.log 2>&1 &)      # from the repository root, venv built
# Stop it with `kill -- -PGID` (the process group setsid gave it): the sweep in flight stops with it.
set -u
cd "$(dirname "$0")/.."
[ -d .venv ] && . .venv/bin/activate
RECORDED=(baselines/arith-v3-runs baselines/arith-variants-v3-runs baselines/smollm2-arith-runs
          baselines/arith-v3.tuning.json baselines/smollm2-arith.tuning.json leaderboard)

log() { echo "$(date -u +%FT%TZ) $*"; }

stage_finished_runs() {
  find baselines/*-runs -name report.json 2>/dev/null | while read -r report; do
    dir=$(dirname "$report")
    for file in config.json eval.jsonl metrics.jsonl run.toml report.md report.json; do
      [ -f "$dir/$file" ] && echo "$dir/$file"
    done
  done | xargs -r git add --
  for file in baselines/*.tuning.json; do [ -f "$file" ] && git add -- "$file"; done
}

regenerate_leaderboard() {  # the tables of exactly the result files staged with them
  local listed attempt
  for attempt in 1 2 3; do  # a run finishing while the tables are built is staged but not in them: build again
    listed=$(git ls-files --cached --others --exclude-standard leaderboard/results | sort)
    morlbench leaderboard > /dev/null || { log "morlbench leaderboard failed"; return 1; }
    git add -- leaderboard || { log "git add leaderboard failed"; return 1; }
    [ "$listed" = "$(git ls-files --cached leaderboard/results | sort)" ] && return 0
  done
  log "results kept arriving while the tables were built; the next round commits them"
  return 1
}

commit_finished() {  # $1: message
  local paths=()
  for path in "${RECORDED[@]}"; do [ -e "$path" ] && paths+=("$path"); done
  stage_finished_runs || log "staging the finished runs failed"
  if [ -n "$(git status --porcelain -- leaderboard/results)" ] && ! regenerate_leaderboard; then
    git reset -q -- leaderboard  # the run files still go in; tables and results wait for a round that builds
  fi
  git diff --cached --quiet -- "${paths[@]}" && return 0
  git diff --cached --name-only -z -- "${paths[@]}" \
    | git commit -q -m "$1" --pathspec-from-file=- --pathspec-file-nul || log "git commit failed"
}

stage() {  # $1: what the commits say; the rest: the command
  local message=$1 pid rc last
  shift
  log "start: $*"
  "$@" &
  pid=$!
  trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit 143' TERM INT HUP
  last=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    sleep 10
    if (( SECONDS - last >= 600 )); then
      commit_finished "$message: finished runs so far"
      last=$SECONDS
    fi
  done
  wait "$pid"
  rc=$?
  trap - TERM INT HUP
  commit_finished "$message: finished runs so far"
  log "end (exit $rc): $*"
  return $rc
}

static_elsewhere_than() {  # $1: a learning rate; $2: a tuning record. True when its search chose another for static
  python -c 'import json, sys; c = json.load(open(sys.argv[2]))["entries"]["static"]["chosen"]
sys.exit(0 if c is not None and c != float(sys.argv[1]) else 1)' "$1" "$2" 2>/dev/null
}

if [ -f .git/index.lock ] && ! pgrep -x git > /dev/null; then  # left by a stop that killed git mid-commit
  log "removing a stale .git/index.lock"
  rm -f .git/index.lock
fi
failed=0
stage "arith-v3 ranked" morlbench sweep baselines/arith-v3.toml --jobs 2 --out baselines/arith-v3-runs \
  --no-progress || failed=1
stage "arith-v3 variants" morlbench sweep baselines/arith-variants-v3.toml --jobs 2 \
  --out baselines/arith-variants-v3-runs --no-progress || failed=1
stage "smollm2-arith tuning" morlbench tune baselines/smollm2-arith.toml --jobs 2 \
  --out baselines/smollm2-arith-runs --no-progress || failed=1
if static_elsewhere_than 1e-4 baselines/smollm2-arith.tuning.json; then  # gradient-paper's matched baseline
  stage "smollm2-arith static-paper" morlbench sweep baselines/smollm2-arith-static-paper.toml --jobs 2 \
    --out baselines/smollm2-arith-runs --no-progress || failed=1
fi
stage "smollm2-arith ranked" morlbench sweep baselines/smollm2-arith.toml --jobs 2 \
  --out baselines/smollm2-arith-runs --no-progress || failed=1
exit $failed

#!/usr/bin/env bash
# Runs several smol-coder task files and prints one line per task as it finishes, then the totals:
#   PASS  exit=0  run=RUN_ID  tasks/a.json
#   FAIL  exit=1  run=RUN_ID  tasks/b.json
#   batch: 2 tasks, 1 passed, 1 failed; events and stderr in ~/.local/share/smol-coder/batch-...
# Exits 0 when every task passed, 1 when any failed, 2 on bad usage, 130 when interrupted (Ctrl-C or SIGTERM: the
# running tasks get SIGTERM, restore their workspaces and report exit=130; the rest do not start). Works from any directory.
#
# Usage: tasks/batch.sh [-j N] [--workspace DIR] [--out DIR] TASK.json... [-- SMOL_CODER_FLAGS...]
#   -j N             tasks at once (default 1). Without a daemon only HumanEval tasks may run together: each gets a
#                    workspace of its own, while workspace tasks share one and would see each other's half-made
#                    changes. With a daemon (smol-coder serve) answering, every run goes through it, and it runs the
#                    tasks of one workspace in private views (taking turns where they own a file in common): any -j is safe. Flags that set config (-- --max-attempts)
#                    are refused through a daemon: put them in its config, or pass -- --no-daemon.
#   --workspace DIR  the workspace of the workspace tasks (default: the current directory, as for smol-coder)
#   --out DIR        each task's events (NN-name.jsonl) and stderr (NN-name.log); default ~/.local/share/smol-coder/batch-TIME
#   -- FLAGS         passed to every run, e.g. -- --max-attempts 3 --no-spec
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
usage() { echo "batch.sh: $1 (usage: tasks/batch.sh [-j N] [--workspace DIR] [--out DIR] TASK.json... [-- FLAGS...])" >&2; exit 2; }

parallel=1
out="${XDG_DATA_HOME:-$HOME/.local/share}/smol-coder/batch-$(date -u +%Y%m%dT%H%M%SZ)-$$"
workspace_args=()
tasks=()
flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    -j) [ $# -ge 2 ] || usage "-j needs a number"; parallel="$2"; shift 2 ;;
    --workspace) [ $# -ge 2 ] || usage "--workspace needs a directory"; workspace_args=(--workspace "$2"); shift 2 ;;
    --out) [ $# -ge 2 ] || usage "--out needs a directory"; out="$2"; shift 2 ;;
    --) shift; flags=("$@"); break ;;
    -*) usage "unknown option $1" ;;
    *) tasks+=("$1"); shift ;;
  esac
done
[[ "$parallel" =~ ^[1-9][0-9]*$ ]] || usage "-j takes a whole number of at least 1, not $parallel"
[ ${#tasks[@]} -gt 0 ] || usage "no task files"
bun="$(command -v bun || echo "$root/.tools/node_modules/.bin/bun")"
[ -x "$bun" ] || { echo "batch.sh: no bun on PATH or in .tools/ (bash .ci/run installs it)" >&2; exit 2; }
daemon=""
for task in "${tasks[@]}"; do
  [ -f "$task" ] || usage "no task file $task"
  if [ "$parallel" -gt 1 ] && ! grep -Eq '"kind"[[:space:]]*:[[:space:]]*"humaneval"' "$task"; then
    # A daemon keeps one workspace's tasks apart; `tasks` answers 0 only when one does.
    if [ -z "$daemon" ]; then
      if [[ " ${flags[*]} " != *" --no-daemon "* ]] && "$bun" run "$root/orchestrator/src/index.ts" tasks --limit 1 >/dev/null 2>&1; then daemon=yes; else daemon=no; fi
    fi
    [ "$daemon" = yes ] || usage "-j $parallel runs tasks together, but $task is a workspace task and no daemon answers; run workspace tasks with -j 1, or start smol-coder serve"
  fi
done
mkdir -p "$out"

# Runs one task and prints its line. Always returns 0: the exit code is the task's result, kept in NN-name.exit.
run_one() {
  local task="$1" name="$2" status=0 run_id
  # The interrupt's SIGTERM reaches this subshell too: it outlives it to report the task (smol-coder exits 130).
  trap ':' TERM
  "$bun" run "$root/orchestrator/src/index.ts" run --file "$task" "${workspace_args[@]}" "${flags[@]}" \
    >"$out/$name.jsonl" 2>"$out/$name.log" </dev/null || status=$?
  # From the orchestrator_started event, or from the closing line on stderr when the events were pretty-printed.
  run_id="$(grep -m1 -oE '"runId":"[^"]+"' "$out/$name.jsonl" | cut -d'"' -f4 || true)"
  [ -n "$run_id" ] || run_id="$(grep -m1 -oE '; run [^;[:space:]]+' "$out/$name.log" | cut -d' ' -f3 || true)"
  echo "$status" >"$out/$name.exit"
  printf '%s  exit=%s  run=%s  %s\n' "$([ "$status" = 0 ] && echo PASS || echo FAIL)" "$status" "${run_id:--}" "$task"
}

# Each task runs as a job in its own process group, so an interrupt can stop the whole tree of each one;
# smol-coder takes SIGTERM as it takes Ctrl-C: it restores the workspace and exits 130.
set -m
interrupted=0
trap 'interrupted=1; for pid in $(jobs -p); do kill -TERM -- "-$pid" 2>/dev/null || true; done' INT TERM
running=0
names=()
for task in "${tasks[@]}"; do
  [ "$interrupted" = 0 ] || break
  if [ "$running" -ge "$parallel" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  [ "$interrupted" = 0 ] || break
  names+=("$(printf '%02d' $((${#names[@]} + 1)))-$(basename "$task" .json)")
  run_one "$task" "${names[-1]}" &
  running=$((running + 1))
done
# A plain wait returns early when the trap runs; wait again until every job has finished.
while ! wait; do :; done

passed=0
failed=0
for name in "${names[@]}"; do
  if [ "$(cat "$out/$name.exit" 2>/dev/null || echo none)" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
not_run=$((${#tasks[@]} - ${#names[@]}))
echo "batch: ${#tasks[@]} tasks, $passed passed, $failed failed$([ "$interrupted" = 0 ] || echo ", $not_run not run (interrupted)"); events and stderr in $out"
[ "$interrupted" = 0 ] || exit 130
[ "$failed" = 0 ] && [ "$passed" = "${#tasks[@]}" ] || exit 1

#!/usr/bin/env bash
# The main job end to end, for real, on a fresh machine with Node + npm and Python + pip (no Docker, no Ollama):
#   1. installs everything into the checkout (.ci/setup.sh: Bun, bubblewrap, .venv with pytest and LiteLLM),
#   2. brings the local stack up (smol-coder stack up: the LiteLLM proxy, and Ollama's models or, without
#      Ollama, Qwen2.5-Coder 0.5B and 1.5B served by llama.cpp from prebuilt wheels: nothing is compiled),
#   3. runs an example HumanEval task and two example workspace tasks through the proxy, events on screen: add
#      from_roman() (solved by the local models in earlier runs, not in those of 2026-12-07), then implement
#      slugify(), which they do not solve in three attempts, so the escalation fast -> deep shows and the workspace
#      is restored,
#   4. prints each task's result and the run records.
# The stack stays up afterwards (bun run orchestrator/src/index.ts stack down stops it). Extra arguments go to both
# smol-coder runs.
# Exit 0 when every task ran to a verdict (solved or not), otherwise the first failing step's exit code.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
step() { printf '\n== %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

source "$ROOT/.ci/setup.sh"
smol() { bun run "$ROOT/orchestrator/src/index.ts" "$@"; }

step "The local stack (smol-coder stack up)"
smol stack up || exit $?
# The stack's proxy; smol-coder finds the stack's key itself (.stack/master.key) when LITELLM_API_KEY is unset.
export LITELLM_URL="${LITELLM_URL:-http://127.0.0.1:4000/v1}"

step "Checks (smol-coder doctor)"
smol doctor || echo "demo: doctor reported failures (above); going on, the runs will say what they hit" >&2

# The HumanEval file: the product's own download, unless a copy is already here or beside the checkout.
dataset="${XDG_DATA_HOME:-$HOME/.local/share}/smol-coder/datasets/HumanEval.jsonl.gz"
[ -f "$dataset" ] || { [ -f "$ROOT/../shared/datasets/HumanEval.jsonl.gz" ] && dataset="$ROOT/../shared/datasets/HumanEval.jsonl.gz"; }
if [ ! -f "$dataset" ]; then
  step "HumanEval dataset (smol-coder dataset download)"
  smol dataset download || exit $?
fi

# On the llama backend, tasks/configs/local-stack.json: timeouts sized for CPU models, the slots' context sizes,
# the edit formats measured best for these models (docs/edits.md), and the local aliases priced at zero
# (LiteLLM sends no cost header for a zero cost, and smol-coder would otherwise bill them at frontier prices).
budget=(--max-attempts 3)
if grep -qE '"backend": *"llama"' "$ROOT/.stack/proxy.pid" 2>/dev/null; then budget+=(--config "$ROOT/tasks/configs/local-stack.json"); fi
verdict() { # exit code -> words; 0 and 1 are verdicts, anything else is a failure of the demo
  case "$1" in 0) echo "solved";; 1) echo "not solved (attempts used up; workspace restored)";; *) echo "failed with exit $1";; esac
}

step "Example 1: HumanEval/0 (tasks/humaneval-example.json) through the proxy"
smol run --pretty --file "$ROOT/tasks/humaneval-example.json" --dataset "$dataset" "${budget[@]}" "$@"
humaneval=$?

step "Example 2: a workspace task (tasks/roman-example.json on a copy of tasks/example-roman)"
bash "$ROOT/tasks/run-example.sh" roman --pretty "${budget[@]}" "$@"
roman=$?

step "Example 3: a harder workspace task, escalated (tasks/workspace-example.json on a copy of tasks/example-workspace)"
bash "$ROOT/tasks/run-example.sh" slugs --pretty "${budget[@]}" "$@"
workspace=$?

step "Results"
echo "HumanEval/0:       $(verdict $humaneval)"
echo "roman example:     $(verdict $roman)"
echo "slugify example:   $(verdict $workspace)"
smol runs --limit 3
echo
echo "bun run orchestrator/src/index.ts analyze RUN_ID tells one run's story; ... stack status / stack down manage the stack."
for code in "$humaneval" "$workspace" "$roman"; do
  [ "$code" -le 1 ] || exit "$code"
done
exit 0

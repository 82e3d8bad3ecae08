#!/usr/bin/env bash
# Runs an example task on a fresh copy of its workspace, made a git repository in a temp directory, so the example
# in this repository stays as it is. Works from any directory.
#   tasks/run-example.sh [slugs|roman] [SMOL_CODER_FLAGS...]      e.g. roman --pretty --max-attempts 3
# slugs (the default): tasks/workspace-example.json on tasks/example-workspace (implement slugify()).
# roman: tasks/roman-example.json on tasks/example-roman (add from_roman()); solved by the local models in earlier runs, not in those of 2026-12-07.
# Needs the proxy (export LITELLM_URL and LITELLM_API_KEY) and pytest on PATH. Exits with smol-coder's exit code
# and keeps the workspace, so you can look at what the model changed (git -C DIR diff).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
bun="$(command -v bun || echo "$root/.tools/node_modules/.bin/bun")"
[ -x "$bun" ] || { echo "run-example.sh: no bun on PATH or in .tools/ (bash .ci/run installs it)" >&2; exit 2; }

example=slugs
case "${1:-}" in slugs|roman) example="$1"; shift;; esac
case "$example" in
  slugs) source_dir="$here/example-workspace"; task="$here/workspace-example.json";;
  roman) source_dir="$here/example-roman"; task="$here/roman-example.json";;
esac

workspace="$(mktemp -d "${TMPDIR:-/tmp}/smol-coder-example-XXXXXX")"
cp -R "$source_dir/." "$workspace/"
# No user hooks, signing or templates: this is a scratch repository.
git -C "$workspace" -c init.templateDir= init -q -b main
git -C "$workspace" add -A
git -C "$workspace" -c core.hooksPath=/dev/null -c commit.gpgsign=false -c user.name=smol-coder -c user.email=smol-coder@localhost \
  commit -q -m "Example workspace"
echo "run-example.sh: workspace $workspace" >&2

status=0
"$bun" run "$root/orchestrator/src/index.ts" run --file "$task" --workspace "$workspace" "$@" || status=$?
echo "run-example.sh: smol-coder exited $status; the workspace stays at $workspace" >&2
exit "$status"

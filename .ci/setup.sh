# Installs everything smol-coder needs into the checkout: Bun (npm, into .tools/), bubblewrap and redis-server (Debian), a venv
# with pytest and the LiteLLM proxy (.venv/), the orchestrator's packages. Sourced by .ci/run (the tests) and
# tasks/demo.sh (the main job end to end); expects ROOT, step() and die() from them. Safe to run again.
BUN_VERSION=1.4.5
cd "$ROOT"

step "Bun $BUN_VERSION from npm (into .tools/)"
if [ "$(.tools/node_modules/.bin/bun --version 2>/dev/null)" != "$BUN_VERSION" ]; then
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix .tools "bun@$BUN_VERSION" || die "could not install bun from npm"
fi
export PATH="$ROOT/.tools/node_modules/.bin:$PATH"
bun --version

step "bubblewrap (the verification sandbox) from Debian"
if ! command -v bwrap >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq bubblewrap >/dev/null || die "could not install bubblewrap (apt-get install bubblewrap)"
fi
bwrap --version

step "redis-server (the shared tier limits' tests run a real one) from Debian"
if ! command -v redis-server >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null || die "could not install redis-server (apt-get install redis-server)"
fi
redis-server --version

step "Python venv with pytest and the LiteLLM proxy (.venv/)"
[ -x .venv/bin/python ] || python3 -m venv .venv || die "could not create .venv (python3 -m venv)"
# .ci/requirements.txt includes litellm/requirements.txt: one resolve for pytest and litellm[proxy].
.venv/bin/pip install --quiet --disable-pip-version-check -r .ci/requirements.txt || die "could not install .ci/requirements.txt (pytest, litellm[proxy])"
export PATH="$ROOT/.venv/bin:$PATH"
pytest --version
# The bundled price map: offline, litellm would otherwise spend ~10 s trying to download one.
LITELLM_LOCAL_MODEL_COST_MAP=True litellm --version 2>&1 | grep -E 'Version' || die "litellm did not run (.venv/bin/litellm --version)"

step "Orchestrator dependencies (bun install --frozen-lockfile)"
(cd orchestrator && bun install --frozen-lockfile) || die "bun install failed"

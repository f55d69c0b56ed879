#!/usr/bin/env bash
# Set up (with test extras and Chromium for the browser test), then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Chromium for the browser test"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "setup: could not install Chromium; the browser test will be skipped"
  else
    echo "setup: Chromium missing and not root; the browser test will be skipped"
  fi
fi
if [ ! -f .tools/node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null; then
  echo "setup: installing axe-core for the accessibility check"
  npm install --silent --no-audit --no-fund --prefix .tools axe-core@4 >/dev/null \
    || echo "setup: could not install axe-core; the accessibility test will be skipped"
fi
. .venv/bin/activate
exec python -m pytest "$@"

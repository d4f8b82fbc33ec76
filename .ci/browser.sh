#!/usr/bin/env bash
# The headless browser of the console tests (host/cli/tests/all/console.rs): Debian's chromium
# and chromium-driver (chromedriver), which Selenium (installed by .ci/pytools.sh) drives, and
# a Korean font (fonts-nanum) so that the examples' Korean log lines are legible in the
# screenshots. Idempotent: quick when all three are present.
set -euo pipefail

if command -v chromium >/dev/null && command -v chromedriver >/dev/null &&
  [ -n "$(fc-list :lang=ko 2>/dev/null)" ]; then
  exit 0
fi

echo "browser: installing chromium, chromium-driver and fonts-nanum (apt)" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
# `env` inside sudo: sudo resets the environment.
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-nanum >/dev/null
chromium --version >/dev/null
chromedriver --version >/dev/null

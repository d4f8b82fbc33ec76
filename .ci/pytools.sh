#!/usr/bin/env bash
# The real AWS clients the API tests drive: boto3 and awscli from PyPI, plus prometheus_client's
# text parser for /metrics and selenium for the console's browser tests (.ci/browser.sh installs
# the browser), in a venv at target/pytools (or $FNHOST_PYTOOLS). Idempotent: when the venv
# already imports all four and has the `aws` script, nothing is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${FNHOST_PYTOOLS:-target/pytools}
py=$venv/bin/python

if [ -x "$py" ] && [ -x "$venv/bin/aws" ] &&
  "$py" -c 'import boto3, botocore, prometheus_client, selenium' 2>/dev/null; then
  exit 0
fi

# Debian's python3 lacks ensurepip until python3-venv is installed (other Pythons ship it).
if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip' 2>/dev/null; then
  echo "pytools: installing python3 and python3-venv (apt)" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3 python3-venv ca-certificates >/dev/null
fi

echo "pytools: creating $venv with boto3, awscli, prometheus_client and selenium (pip)" >&2
rm -rf "$venv"
python3 -m venv "$venv"
"$py" -m pip install --quiet --disable-pip-version-check boto3 awscli prometheus_client selenium
"$py" -c 'import boto3, botocore, prometheus_client, selenium'
"$venv/bin/aws" --version >/dev/null

#!/usr/bin/env bash
# Idempotent set-up: a venv in .venv with the pinned requirements (torch 2.13.0 CPU build
# from this machine's disk). With --dev (tests): also requirements-dev.txt (pytest, playwright,
# TRL, peft, datasets) and Debian's chromium for the browser test.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
requirements=requirements.txt
[ "${1:-}" = "--dev" ] && requirements=requirements-dev.txt
.venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements"
if [ "${1:-}" = "--dev" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) >/tmp/thinklogit-apt.log 2>&1 \
      || echo "warning: could not install chromium (see /tmp/thinklogit-apt.log); the browser test will be skipped" >&2
  else
    echo "warning: run as root or 'sudo apt-get install chromium' for the browser test" >&2
  fi
fi

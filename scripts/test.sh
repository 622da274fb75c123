#!/usr/bin/env bash
# The test command of the README and of CI: set up, then the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
# tiny models: one torch thread each is fastest and immune to a busy second core
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
exec .venv/bin/python -m pytest -q "$@"

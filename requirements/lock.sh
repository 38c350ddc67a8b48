#!/usr/bin/env bash
# Regenerate the hash-locked requirements from pyproject.toml (see docs/security.md).
#
#   requirements/lock.sh [CONSTRAINTS]     # needs uv (pip install uv, in a scratch venv)
#
# CONSTRAINTS, when given, holds exact pins to keep (e.g. `pip freeze` of the CI image, with a
# marker so that other Python versions still resolve). Review the diff: every new pin is code
# that CI will run.
set -euo pipefail
export UV_PYTHON_DOWNLOADS=never
cd "$(dirname "$0")/.."
extra=()
if [ $# -gt 0 ]; then extra=(-c "$1"); fi
for lock in runtime dev; do
  args=(pyproject.toml --universal --python-version 3.10 --generate-hashes --no-annotate
        --custom-compile-command "requirements/lock.sh" -o "requirements/$lock.txt")
  [ "$lock" = dev ] && args+=(--extra dev)
  uv pip compile "${args[@]}" "${extra[@]}"
done

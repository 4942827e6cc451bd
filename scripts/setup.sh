#!/usr/bin/env bash
# Create .venv with the pinned dependencies (idempotent). Usage: scripts/setup.sh [dev]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "gapmodel needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)." >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    if ! "$PYTHON" -m venv .venv 2>/dev/null; then
        rm -rf .venv
        if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
            apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
            "$PYTHON" -m venv .venv
        else
            echo "Could not create a virtual environment: install python3-venv, then retry." >&2
            exit 1
        fi
    fi
fi
requirements=requirements.txt
[ "${1:-}" = dev ] && requirements=requirements-dev.txt
# Skip the install when these requirements (and requirements.txt, which they include) and the
# interpreter are the ones of the last successful install: the stamp holds their checksum.
stamp=".venv/.installed-${requirements%.txt}"
checksum="$(cat "$requirements" requirements.txt | sha256sum | cut -d' ' -f1) $(.venv/bin/python --version 2>&1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$checksum" ]; then
    exit 0
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
echo "$checksum" > "$stamp"

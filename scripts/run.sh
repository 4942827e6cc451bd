#!/usr/bin/env bash
# Install and start the dashboard on http://127.0.0.1:8501 (the demo database is built on first start).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m streamlit run dashboard.py --server.address 127.0.0.1 "$@"

"""Entry point for ``python -m gapmodel``."""

import sys

from gapmodel.cli import main

sys.exit(main())

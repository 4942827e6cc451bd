"""``python -m gapmodel``: the command line, above every layer of the library."""

from gapmodel.cli.app import main

__all__ = ["main"]

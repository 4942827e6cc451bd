"""How a long render reports its progress: ``progress(fraction, message)``."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[float, str], None]


def quiet(fraction: float, message: str) -> None:
    """The default progress callback: does nothing."""

"""A process's peak resident memory.

``getrusage``'s ``ru_maxrss`` is not that: a process started by another keeps, through ``exec``,
the peak of the process it was forked from (a child of an 800 MB dashboard reports 800 MB, even
if it never used more than 15 MB). The kernel's ``VmHWM`` is the peak of the process's own
memory since it started its program.
"""

from __future__ import annotations

import resource


def peak_mb(pid: int | str = "self") -> float | None:
    """Peak resident memory of process ``pid`` (this one by default) in MB, or None when the
    process has ended (or, for another process, /proc cannot be read)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    if pid == "self":  # no /proc: the rusage figure, which may include the parent's
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return None

"""CPU time of a process on this machine, from ``/proc``, for the benchmarks that run beside the servers.

The scripts in ``bench/`` are run as ``python bench/<name>.py``, which puts
this directory on ``sys.path``: they import it as ``procstat``.
"""

import os
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (``/proc/<pid>/stat``); ``OSError`` if it is gone."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

"""Processes as Linux sees them (for tests of servers that fork workers)."""

from __future__ import annotations

from pathlib import Path


def children(pid: int) -> set[int]:
    """The live child processes of `pid` (field 4 of /proc/N/stat is the parent)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found

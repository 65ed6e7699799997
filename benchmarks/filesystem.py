"""Which filesystem a benchmark's store is on, said in its header, since the figures depend on it.

Each insert creates a few dozen files (a part per table and per materialized view) and merges
delete as many. On ext4 without a journal (this project's 2-core VM), creating an inode scans the
recently deleted ones (`recently_deleted` under `__ext4_new_inode`), which took ~45% of an
insert's time here; a journaled ext4, xfs or tmpfs does not pay it. `TMPDIR=/dev/shm make bench`
puts the temporary stores on tmpfs to see the difference.
"""

from __future__ import annotations

import os
from pathlib import Path


def describe(path: Path) -> str:
    """`path`'s mount point and filesystem, e.g. "/ (ext4, without a journal)"."""
    path = path.resolve()
    best: tuple[str, str, str] | None = None
    for line in Path("/proc/mounts").read_text().splitlines():
        device, mount, kind = line.split()[:3]
        if (path == Path(mount) or Path(mount) in path.parents) and (best is None or len(mount) > len(best[1])):
            best = (device, mount, kind)
    if best is None:
        return "unknown filesystem"
    device, mount, kind = best
    if kind == "ext4":
        # jbd2 lists each journaled ext4 device as <name>-<inode of the journal>.
        name = os.path.basename(device)
        journals = os.listdir("/proc/fs/jbd2") if os.path.isdir("/proc/fs/jbd2") else []
        kind += ", with a journal" if any(j.startswith(name + "-") for j in journals) else (
            ", without a journal: inode allocation after deletions is slow, see benchmarks/filesystem.py")
    return f"{mount} ({kind})"

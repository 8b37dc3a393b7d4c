"""A small file system of its own (tmpfs) that a test can fill, for the faults of a full disk."""

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

FILLER = "filler"


@contextmanager
def small_disk(path: Path, megabytes: int = 8) -> Iterator[Path]:
    """Mount a tmpfs of `megabytes` at `path`; skipped, saying why, where mounting needs a root we are not."""
    if os.geteuid() != 0:
        reason = "mounting a small tmpfs to fill needs root (the CI and the dev box run as root)"
        if os.environ.get("CI"):  # as with a missing browser: in CI the run fails instead of skipping
            pytest.fail(reason)
        pytest.skip(reason)
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={megabytes}m,mode=0777"
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=True)


def fill(disk: Path) -> None:
    """Take every free byte of the disk with one file, as a runaway log would."""
    with (disk / FILLER).open("ab", buffering=0) as f:
        for chunk in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError:
                pass
    stats = os.statvfs(disk)
    assert stats.f_bfree == 0, "the disk still has room"


def free(disk: Path) -> None:
    (disk / FILLER).unlink()

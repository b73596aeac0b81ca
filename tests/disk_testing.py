"""A full disk, simulated in this process (tests/ is on sys.path).

Every file the commands write goes through `keras_seqlab.utils.files.
replacing` (a temporary file beside the target, renamed when complete):
`FullDisk` makes the N-th such file fail with `ENOSPC` once it has been
written, before it is renamed, as a disk that fills while the file is
flushed would. No mount, no root, and any write site can be chosen.
"""

import contextlib
import errno
import json
import os

from keras_seqlab.utils import files

_REPLACING = files.replacing  # the real one, whatever a test patched since


class FullDisk:
    """Counts the atomic writes; from the `fail_at`-th one (1-based), or
    from the first write of a file named `fail_at`, every write raises
    `OSError(ENOSPC)` (a full disk stays full). `fail_at=None` counts."""

    def __init__(self, monkeypatch, fail_at=None):
        self.fail_at = fail_at
        self.written = []  # the targets, in order, whether or not written
        self.failed = None  # the first target that failed

        @contextlib.contextmanager
        def replacing(path):
            self.written.append(os.fspath(path))
            with _REPLACING(path) as partial:
                yield partial
                if self._full(path):
                    raise OSError(
                        errno.ENOSPC, os.strerror(errno.ENOSPC), str(partial)
                    )

        monkeypatch.setattr(files, "replacing", replacing)

    def _full(self, path):
        if self.failed is None:
            if isinstance(self.fail_at, str):
                if os.path.basename(path) != self.fail_at:
                    return False
            elif self.fail_at is None or len(self.written) < self.fail_at:
                return False
            self.failed = os.fspath(path)
        return True


def check_nothing_half_written(folder):
    """Every JSON file parses and no temporary file is left."""
    for path in folder.rglob("*.json"):
        json.loads(path.read_text())  # never half-written
    assert not list(folder.rglob(".partial-*"))

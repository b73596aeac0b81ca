"""`seqlab tune` holds `OUT/.seqlab-ARCH.lock` from before its first write
to after its last: through the search, the untuned baseline's training,
`best_model.keras` and `summary.json`. A second run on the same --out in
any of those phases is refused, and the lock is gone once the run ends."""

import os
import subprocess
import sys

import pytest
from tune_testing import KERAS_TUNER_WARNINGS
from tune_testing import QUICK
from tune_testing import run_main

from keras_seqlab.utils import files

pytest.importorskip("keras_tuner")

# Locks, files and processes: no backend changes them.
pytestmark = [
    pytest.mark.backend_free,
    pytest.mark.slow,
    pytest.mark.filterwarnings(*KERAS_TUNER_WARNINGS),
]

_TRY_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError:
    sys.exit(3)  # held
"""


def _held_by_this_process(lock):
    """The lock file names this process and another one cannot lock it."""
    assert lock.read_text() == f"{os.getpid()}\n"
    if sys.platform != "win32":
        tried = subprocess.run([sys.executable, "-c", _TRY_LOCK, str(lock)])
        assert tried.returncode == 3, "another process could take the lock"


@pytest.mark.parametrize(
    "phase", ["untuned baseline", "best_model.keras", "summary.json"]
)
def test_the_lock_covers_the_whole_run(tmp_path, monkeypatch, phase):
    from keras_seqlab.tuning import summary

    argv = ["tune", "dense", *QUICK, "--max-trials", "1"]
    argv += ["--out", str(tmp_path)]
    lock = tmp_path / ".seqlab-dense.lock"
    seen = []

    def during(name):
        if name != phase or seen:
            return
        _held_by_this_process(lock)
        seen.append(run_main(argv))  # a second run, the same --out

    train_default = summary._train_default

    def baseline(*args, **kwargs):
        during("untuned baseline")
        return train_default(*args, **kwargs)

    save_model, write_text = files.save_model, files.write_text

    def saving(model, path):
        during(os.path.basename(path))
        return save_model(model, path)

    def writing(path, text):
        during(os.path.basename(path))
        return write_text(path, text)

    monkeypatch.setattr(summary, "_train_default", baseline)
    monkeypatch.setattr(files, "save_model", saving)
    monkeypatch.setattr(files, "write_text", writing)
    status, out, err = run_main(argv)
    assert status == 0, err
    (second,) = seen
    assert second[0] == 2, second[2]
    assert second[2] == (
        f"seqlab tune: {str(tmp_path)!r} is in use by another run (pid "
        f"{os.getpid()}); wait for it to end or choose another --out.\n"
    )
    assert "resuming" not in second[2] and second[1] == ""
    assert not lock.exists()
    assert (tmp_path / "dense" / "summary.json").is_file()

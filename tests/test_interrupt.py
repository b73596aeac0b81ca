"""Ctrl-C stops `seqlab compare` and `seqlab tune`, even where Python
swallows it (a KeyboardInterrupt raised inside a gc callback; JAX has one).

The tune command's own Ctrl-C test (and resume) is in test_tune.py.
"""

import gc
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from seqlab_testing import BACKEND

from keras_seqlab.experiments import interrupt

TIMEOUT = 240


@pytest.mark.backend_free
def test_interrupt_swallowed_by_a_gc_callback_is_raised_at_the_next_batch(
    monkeypatch,
):
    fired = []

    def interrupt_once(phase, info):
        if not fired:
            fired.append(phase)
            signal.raise_signal(signal.SIGINT)

    unraisable = []  # what would be printed as "Exception ignored"
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    before = signal.getsignal(signal.SIGINT)
    stop = interrupt.StopOnInterrupt()
    swallowed = False
    with pytest.raises(KeyboardInterrupt) as raised:
        with interrupt.sticky():
            stop.on_train_batch_end(0)  # nothing pending yet
            gc.callbacks.append(interrupt_once)
            try:
                gc.collect()  # the interrupt is raised, and swallowed, here
            finally:
                gc.callbacks.remove(interrupt_once)
            swallowed = bool(fired)
            stop.on_train_batch_end(1)
    assert swallowed
    assert any(e.name == "on_train_batch_end" for e in raised.traceback)
    assert unraisable == []
    assert sys.unraisablehook == unraisable.append
    assert signal.getsignal(signal.SIGINT) is before
    stop.on_epoch_end(0)  # nothing pending once the block is left


@pytest.mark.backend_free
def test_a_swallowed_sigterm_is_raised_again_as_itself(monkeypatch):
    """The CLI's SIGTERM (`cli.runner.Terminated`, a KeyboardInterrupt)
    lost in a gc callback comes back at the next batch as SIGTERM, so the
    command still exits 143, not 130."""
    from keras_seqlab.cli.runner import Terminated
    from keras_seqlab.cli.runner import sigterm_interrupts

    fired = []

    def terminate_once(phase, info):
        if not fired:
            fired.append(phase)
            signal.raise_signal(signal.SIGTERM)

    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    stop = interrupt.StopOnInterrupt()
    # Were the runner's handler missing, this one, not the default, runs.
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        with pytest.raises(Terminated):
            with sigterm_interrupts(), interrupt.sticky():
                gc.callbacks.append(terminate_once)
                try:
                    gc.collect()  # raised, and swallowed, here
                finally:
                    gc.callbacks.remove(terminate_once)
                assert fired
                stop.on_train_batch_end(0)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert unraisable == []


@pytest.mark.backend_free
@pytest.mark.parametrize(
    "hook", ["on_test_batch_end", "on_predict_batch_end", "on_epoch_end"]
)
def test_every_hook_raises_a_recorded_interrupt(hook):
    stop = interrupt.StopOnInterrupt()
    with pytest.raises(KeyboardInterrupt) as raised:
        with interrupt.sticky():
            getattr(stop, hook)(0)
            with pytest.raises(KeyboardInterrupt):
                interrupt._handler(signal.SIGINT, None)  # what Ctrl-C runs
            getattr(stop, hook)(1)
    assert any(e.name == hook for e in raised.traceback)


@pytest.mark.backend_free
def test_an_unchecked_interrupt_is_raised_when_the_block_ends():
    with pytest.raises(KeyboardInterrupt):
        with interrupt.sticky():
            try:
                interrupt._handler(signal.SIGINT, None)
            except KeyboardInterrupt:
                pass  # as if swallowed where nobody could catch it


@pytest.mark.backend_free
def test_sticky_is_a_no_op_off_the_main_thread():
    before = signal.getsignal(signal.SIGINT)
    seen = []

    def work():
        with interrupt.sticky():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [before]


@pytest.mark.slow
def test_compare_stops_on_ctrl_c_and_says_so(tmp_path):
    out = tmp_path / "out"
    log = tmp_path / "compare.log"
    env = dict(os.environ, KERAS_BACKEND=BACKEND, TF_CPP_MIN_LOG_LEVEL="3")
    command = [
        sys.executable,
        "-m",
        "keras_seqlab.cli",
        "compare",
        "--models",
        "gru",
        "--epochs",
        "200",
        "--patience",
        "200",
        "--limit",
        "64",
        "--window",
        "10",
        "--out",
        str(out),
        "--verbose",  # a line per epoch
    ]
    with log.open("w") as stderr:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        deadline = time.monotonic() + TIMEOUT
        while "epoch 1/200" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            assert process.poll() is None, log.read_text()
            time.sleep(0.05)
        # Frozen, it cannot finish training before the signal lands.
        process.send_signal(signal.SIGSTOP)
        process.send_signal(signal.SIGINT)
        process.send_signal(signal.SIGCONT)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    text = log.read_text()
    assert process.returncode == 130, text
    assert "seqlab compare: interrupted; nothing written" in text
    assert "Traceback" not in text and "Exception ignored" not in text
    assert "epoch 200/200" not in text
    assert not out.exists()

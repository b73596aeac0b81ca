"""Ctrl-C that is not lost, for `seqlab compare` and `seqlab tune`.

Python drops an exception raised while a garbage-collector callback runs
(JAX registers one, `_xla_gc_callback`) and prints "Exception ignored ...
KeyboardInterrupt". A Ctrl-C that lands there is lost and training goes on.
Inside `sticky()` a SIGINT is also recorded, and so is any interrupt
Python swallows (a `KeyboardInterrupt` subclass, such as the CLI's SIGTERM),
and `check()` raises it again; `StopOnInterrupt` calls it after every batch
and epoch.
"""

import contextlib
import signal
import sys
import threading

import keras

_pending = None  # the KeyboardInterrupt class recorded, if any


def check():
    """Raises the recorded interrupt (KeyboardInterrupt for Ctrl-C) if one
    was recorded and not yet raised where it could be caught."""
    if _pending is not None:
        raise _pending


def _handler(signum, frame):
    global _pending
    _pending = KeyboardInterrupt
    raise KeyboardInterrupt


@contextlib.contextmanager
def sticky():
    """Records SIGINT while the block runs (main thread only; elsewhere a
    no-op, as signals only reach the main thread)."""
    global _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _pending = None
    previous_handler = signal.signal(signal.SIGINT, _handler)
    previous_hook = sys.unraisablehook

    def hook(info):
        # The swallowed interrupt is raised again by check(); its
        # "Exception ignored" traceback would only alarm.
        global _pending
        if issubclass(info.exc_type, KeyboardInterrupt):
            _pending = info.exc_type
        else:
            previous_hook(info)

    sys.unraisablehook = hook
    try:
        yield
        check()
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        sys.unraisablehook = previous_hook
        _pending = None


class StopOnInterrupt(keras.callbacks.Callback):
    """Raises a recorded Ctrl-C at the next batch or epoch end."""

    def on_train_batch_end(self, batch, logs=None):
        check()

    def on_test_batch_end(self, batch, logs=None):
        check()

    def on_predict_batch_end(self, batch, logs=None):
        check()

    def on_epoch_end(self, epoch, logs=None):
        check()

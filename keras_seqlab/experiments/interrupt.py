"""Ctrl-C that is not lost, for `seqlab compare` and `seqlab tune`.

Python drops an exception raised while a garbage-collector callback runs
(JAX registers one, `_xla_gc_callback`) and prints "Exception ignored ...
KeyboardInterrupt". A Ctrl-C that lands there is lost and training goes on.
Inside `sticky()` a SIGINT is also recorded, and `check()` raises it again;
`StopOnInterrupt` calls it after every batch and epoch.
"""

import contextlib
import signal
import sys
import threading

import keras

_pending = False


def check():
    """Raises KeyboardInterrupt if a Ctrl-C was recorded and not yet raised
    where it could be caught."""
    if _pending:
        raise KeyboardInterrupt


def _handler(signum, frame):
    global _pending
    _pending = True
    raise KeyboardInterrupt


@contextlib.contextmanager
def sticky():
    """Records SIGINT while the block runs (main thread only; elsewhere a
    no-op, as signals only reach the main thread)."""
    global _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _pending = False
    previous_handler = signal.signal(signal.SIGINT, _handler)
    previous_hook = sys.unraisablehook

    def hook(info):
        # The swallowed interrupt is raised again by check(); its
        # "Exception ignored" traceback would only alarm.
        if not issubclass(info.exc_type, KeyboardInterrupt):
            previous_hook(info)

    sys.unraisablehook = hook
    try:
        yield
        check()
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        sys.unraisablehook = previous_hook
        _pending = False


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

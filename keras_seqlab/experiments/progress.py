"""What `seqlab compare` shows while it trains: a bar per task, lines.

`TaskProgress` draws Keras's `Progbar` for one task on a terminal: its
unit is an epoch and its length the task's budget (models x most epochs),
so the time left (ETA) is an upper bound that shrinks when a model stops
early. One line per model goes above the bar (its score, size, epochs and
time). On a stream that is not a terminal (a log file, a pipe) there is no
bar, only those lines.
"""

import contextlib
import time

import keras


def is_terminal(stream):
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def format_seconds(seconds):
    """Seconds as text: tenths of a second under a minute, then whole
    minutes and seconds (and hours)."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class TaskProgress:
    """Progress of one task: `models` models of at most `epochs` epochs."""

    def __init__(self, stream, models, epochs, bar=None):
        self.stream = stream
        self.epochs = epochs
        self.done = 0  # epochs of the budget used up (or skipped)
        self.start = time.perf_counter()
        if bar is None:
            bar = is_terminal(stream)
        self._bar = (
            keras.utils.Progbar(models * epochs, unit_name="epoch")
            if bar and stream is not None
            else None
        )

    def _draw(self, finalize=False):
        if self._bar is not None:
            # Progbar writes to sys.stdout, which holds the leaderboard.
            with contextlib.redirect_stdout(self.stream):
                self._bar.update(self.done, finalize=finalize)

    def callback(self):
        """A Keras callback that moves the bar one epoch per epoch."""
        return _EpochTick(self)

    def tick(self):
        self.done += 1
        self._draw()

    def model_done(self, epochs_run, line):
        """Prints `line` above the bar; the model's unused epochs are
        skipped."""
        self.done += max(self.epochs - epochs_run, 0)
        if self.stream is None:
            return
        if self._bar is not None:
            # Clear the bar's line, print, and draw the bar below.
            print("\r\x1b[K" + line, file=self.stream, flush=True)
            self._draw()
        else:
            print(line, file=self.stream, flush=True)

    def close(self):
        if self._bar is not None:
            self._draw(finalize=True)


class _EpochTick(keras.callbacks.Callback):
    def __init__(self, progress):
        super().__init__()
        self._progress = progress

    def on_epoch_end(self, epoch, logs=None):
        self._progress.tick()

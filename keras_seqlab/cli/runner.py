"""How every `seqlab` command ends: its exit status and its last line.

A command is two functions, `prepare(args)` and `work(args, prepared)`,
registered with `command(parser, prepare, work)`. The runner gives each
way of ending one status and one line on stderr, `PROG: ...`:

    2    a bad setting: one of `refused` raised by `prepare` (before
         anything trains or is written; the command decides which
         exceptions those are), or of `refused_in_work` by `work`
         (`utils.files.FolderError`, an unusable output folder, found
         before anything trains)
    1    an `OSError` of writing the output (`cannot write FILE: why`),
         of reading what a flag names (while preparing: `FILE: why`),
         or one of the command's `failed` exceptions
    130  Ctrl-C (`KeyboardInterrupt`)
    143  SIGTERM: while a command runs it raises `Terminated`, a
         `KeyboardInterrupt`, so every cleanup of Ctrl-C runs (folder
         locks released, partial files removed) before the process ends

What the library did to the data on the way (rows put in date order: a
`data.order.RowsSorted` warning) is one `PROG: note: ...` line, once,
shown when `prepare` succeeds (a refused command says its refusal only).

The library's messages name settings in backticks; `options.message`
turns each into the command's flag, read from its parser.
"""

import contextlib
import signal
import sys
import threading
import warnings

from keras_seqlab.cli.options import message
from keras_seqlab.cli.options import parser_flags
from keras_seqlab.cli.options import write_failure
from keras_seqlab.data.order import RowsSorted
from keras_seqlab.utils.files import FolderError

BAD_SETTINGS = 2
FAILED = 1
INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it
TERMINATED = 143  # 128 + SIGTERM
NOTHING_WRITTEN = "; nothing written"


class Refused(ValueError):
    """A bad setting a command finds itself: one line, exit status 2."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be."""


def _terminate(signum, frame):
    raise Terminated


@contextlib.contextmanager
def sigterm_interrupts():
    """SIGTERM raises `Terminated` while the block runs; the previous
    handler is back after it. Main thread only: Python runs signal
    handlers there alone (elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        # None: a handler not set from Python; the default is the nearest.
        signal.signal(
            signal.SIGTERM, signal.SIG_DFL if previous is None else previous
        )


class Command:
    """One `seqlab` command: `parser`'s `run` default (see the module).

    Args:
        parser: the command's parser; its `prog` begins every line, its
            arguments name the flags of the library's messages.
        prepare: `prepare(args)`, what `work` needs; everything that can
            be refused is checked here.
        work: `work(args, prepared)`, the exit status.
        refused: what `prepare` raises for a bad setting.
        refused_in_work: what `work` raises for a bad setting.
        failed: what else ends the command with status 1, in one line.
        kept: `kept(prepared)`, the end of the line after an interrupt
            or a failed write of `work`, saying what is kept (default:
            "; nothing written" after an interrupt).
        owners: the library functions whose `owner: ` prefix the
            messages drop.
    """

    def __init__(
        self,
        parser,
        prepare,
        work,
        refused=(ValueError,),
        refused_in_work=(FolderError,),
        failed=(),
        kept=None,
        owners=(),
    ):
        self.parser = parser
        self.prog = parser.prog
        self.prepare = prepare
        self.work = work
        self.refused = tuple(refused)
        self.refused_in_work = tuple(refused_in_work)
        self.failed = tuple(failed)
        self.kept = kept
        self.owners = tuple(owners)

    def __call__(self, args):
        with sigterm_interrupts(), self._notes():
            return self._run(args)

    def _say(self, text):
        print(f"{self.prog}: {text}", file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def _notes(self):
        """`RowsSorted` warnings as `PROG: note: ...` lines, each text once;
        other warnings go where they went. Those of `prepare` wait for it
        to succeed: a refused command says one line, its refusal."""
        self._held = []
        with warnings.catch_warnings():
            warnings.simplefilter("default", RowsSorted)
            shown = warnings.showwarning

            def show(message, category, *where, **more):
                if not issubclass(category, RowsSorted):
                    shown(message, category, *where, **more)
                elif self._held is not None:
                    self._held.append(message.note)
                else:
                    self._say(f"note: {message.note}")

            warnings.showwarning = show
            yield

    def _release_notes(self):
        held, self._held = self._held, None
        for note in held:
            self._say(f"note: {note}")

    def _refuse(self, error):
        text = message(
            error,
            parser_flags(self.parser),
            (self.prog, *self.owners),
        )
        self._say(text)
        return BAD_SETTINGS

    def _run(self, args):
        prepared = None
        try:
            try:
                prepared = self.prepare(args)
            except self.refused as error:
                return self._refuse(error)
            except OSError as error:  # reading what a flag names
                where = f"{error.filename}: " if error.filename else ""
                self._say(f"{where}{error.strerror or error}")
                return FAILED
            self._release_notes()
            try:
                return self.work(args, prepared)
            except self.refused_in_work as error:
                return self._refuse(error)
            except OSError as error:
                self._say(write_failure(error) + self._kept(prepared, ""))
                return FAILED
        except self.failed as error:
            self._say(str(error))
            return FAILED
        except KeyboardInterrupt as error:
            kept = self._kept(prepared, NOTHING_WRITTEN)
            if isinstance(error, Terminated):
                self._say(f"terminated{kept}")
                return TERMINATED
            print(f"\n{self.prog}: interrupted{kept}", file=sys.stderr)
            return INTERRUPTED

    def _kept(self, prepared, default):
        if self.kept is None or prepared is None:
            return default
        return self.kept(prepared)


def command(parser, prepare, work, **options):
    """Makes `parser`'s command run through the runner: its `run` default
    is a `Command` (the keywords are those of `Command`)."""
    parser.set_defaults(run=Command(parser, prepare, work, **options))

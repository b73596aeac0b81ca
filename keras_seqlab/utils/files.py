"""Files written whole or not at all, and output folders one run owns.

`replacing`, `write_text`, `write_json`, `save_model` and `save_weights`
write to a temporary file beside the target and rename it: a crash or a
full disk leaves the old file (or none), never a half-written one, and
the failure is an `OSError` naming the target.

Keras writes a model's weights with h5py, and HDF5 does not survive a
full disk: its failed writes leave objects whose release fails again
("Can't decrement id ref count") until the process dies of a segmentation
fault. So HDF5 writes into memory only: `save_model` lets Keras put the
weights of a `.keras` archive in memory (Python's `zipfile` writes the
file), and `save_weights` takes them from such an archive, written to a
`scratch` file in memory; only plain file writes meet the disk, and their
failure is an ordinary `OSError`.

`check_folder` proves that a run can write its output folder before it
trains anything; `folder_lock` keeps a second run out of a folder in use
(an advisory lock on `.seqlab.lock`, released by the system when the
process ends, however it ends; a lock file left by a killed run is
simply locked again).
"""

import contextlib
import json
import os
import pathlib
import shutil
import tempfile
import zipfile

LOCK_FILE = ".seqlab.lock"
# A .keras archive's weights: the file `model.save_weights` writes.
WEIGHTS_MEMBER = "model.weights.h5"

try:  # backend-guarded: POSIX locks, else Windows ones
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None
    import msvcrt


class FolderError(ValueError):
    """An output folder that cannot be used (a bad setting).

    `fields` names the setting, as `experiments.SettingsError` does.
    """

    def __init__(self, message, *fields):
        super().__init__(message)
        self.fields = fields


class FolderBusy(FolderError):
    """The output folder is held by another run."""


def partial_path(path):
    """The temporary name `replacing` writes `path` under.

    It keeps the whole suffix chain (Keras requires ".keras" and
    ".weights.h5", matplotlib picks the format by the suffix).
    """
    path = pathlib.Path(path)
    return path.with_name(f".partial-{path.name}")


@contextlib.contextmanager
def replacing(path):
    """Yields a temporary path beside `path`; renamed to `path` on success.

    On an error it is removed and `path` is left as it was.
    """
    path = pathlib.Path(path)
    partial = partial_path(path)
    try:
        try:
            yield partial
            os.replace(partial, path)
        except OSError as error:
            if error.filename is None:  # a write or flush says no file
                raise OSError(error.errno, error.strerror, str(path)) from None
            raise
    finally:
        if partial.exists() or partial.is_symlink():
            partial.unlink()


def write_text(path, text):
    """Writes `text` to `path` atomically (UTF-8)."""
    with replacing(path) as partial:
        with open(partial, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())


def write_json(path, obj, indent=None):
    """Writes `obj` as JSON to `path` atomically."""
    write_text(path, json.dumps(obj, indent=indent) + "\n")


def save_model(model, path):
    """`model.save(path)` (a `.keras` file) atomically. Python's `zipfile`
    writes the archive; Keras writes the weights into memory first (on
    disk only for a model too large for the free memory)."""
    with replacing(path) as partial:
        model.save(partial)


def save_weights(model, path):
    """`model.save_weights(path)` (a `.weights.h5` file) atomically, and
    with HDF5 writing into memory only.

    Keras writes the archive of `model.save` with the weights in memory;
    that archive is written to a `scratch` file, and its weights member,
    the file `save_weights` writes (the same groups and values, loaded by
    `model.load_weights`), is copied to `path` by plain file writes.

    Raises:
        OSError: naming `path`, for any file that could not be written.
    """
    path = pathlib.Path(path)
    try:
        with scratch("weights.keras") as archive_path:
            model.save(archive_path)
            with zipfile.ZipFile(archive_path) as archive:
                with archive.open(WEIGHTS_MEMBER) as source:
                    with replacing(path) as partial:
                        with open(partial, "wb") as file:
                            shutil.copyfileobj(source, file, 1 << 20)
                            file.flush()
                            os.fsync(file.fileno())
    except OSError as error:
        if error.filename == str(path):
            raise
        raise OSError(error.errno, error.strerror, str(path)) from None


@contextlib.contextmanager
def scratch(name):
    """Yields a path named `name` (str) whose content lives in memory.

    For a library that writes a file by name only: on Linux the path is a
    link, in a private temporary folder, to an anonymous memory file
    (`os.memfd_create`), so nothing written there can meet a full disk.
    Elsewhere (or without /proc) it is a plain file in that folder.
    Everything is removed after. (HDF5 cannot write through the link: it
    resolves it to a real path; Python's `open` can.)
    """
    folder = tempfile.mkdtemp(prefix="seqlab-")
    path = os.path.join(folder, name)
    memory = None
    try:
        if hasattr(os, "memfd_create"):
            with contextlib.suppress(OSError):
                memory = os.memfd_create(name, os.MFD_CLOEXEC)
        if memory is not None:
            os.symlink(f"/proc/self/fd/{memory}", path)
            if not os.path.exists(path):  # no /proc: a plain file instead
                os.unlink(path)
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        if memory is not None:
            os.close(memory)
        shutil.rmtree(folder, ignore_errors=True)


def check_folder(owner, path, field="out"):
    """Creates folder `path` if needed and proves it writable; returns it.

    Raises:
        FolderError: `path` is a file, or the folder cannot be created or
            written (the message names `owner`, setting `field` and the
            reason).
    """
    path = pathlib.Path(path)
    if path.exists() and not path.is_dir():
        raise FolderError(
            f"{owner}: `{field}` {str(path)!r} is a file, not a folder.",
            field,
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        # Permissions say too little (root ignores them; a read-only mount
        # or a full quota does not show in them): write a file.
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise FolderError(
            f"{owner}: cannot write the folder `{field}` {str(path)!r}: "
            f"{reason}.",
            field,
        ) from None
    return path


@contextlib.contextmanager
def folder_lock(owner, path, field="out", name=LOCK_FILE):
    """Holds folder `path` (lock file `name` in it) while the block runs.

    The lock file holds the holder's pid and is removed when the block
    ends, and so is the folder if this call created it and nothing was
    written into it (an interrupted run leaves nothing behind).

    Raises:
        FolderError: `path` is a file, or the folder cannot be created or
            written.
        FolderBusy: another process holds it; the message names its pid.
    """
    created = not pathlib.Path(path).exists()
    path = check_folder(owner, path, field)
    lock = path / name
    fd = _acquire(owner, lock, path, field)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        yield path
    finally:
        # Removed while still held: a process that opened it meanwhile
        # finds it gone once it gets the lock (see _acquire) and retries.
        if fcntl is not None:
            with contextlib.suppress(OSError):
                lock.unlink()
        os.close(fd)
        if created:
            with contextlib.suppress(OSError):
                path.rmdir()  # only if empty


def _acquire(owner, lock, folder, field):
    """An open, locked descriptor of `lock` (the file now at that path)."""
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            holder = os.read(fd, 64).decode("ascii", "replace").strip()
            os.close(fd)
            raise FolderBusy(
                f"{owner}: {str(folder)!r} is in use by another run (pid "
                f"{holder or 'unknown'}); wait for it to end or choose "
                f"another `{field}`.",
                field,
            )
        try:
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same or fcntl is None:
            return fd
        os.close(fd)  # its holder removed it as we locked it: again


def _try_lock(fd):
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # pragma: no cover - Windows
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True

"""Files written whole or not at all: a temporary file, then a rename."""

import contextlib
import os
import pathlib


@contextlib.contextmanager
def replacing(path):
    """Yields a temporary path beside `path`; renamed to `path` on success.

    The temporary name keeps the suffix (Keras requires ".keras",
    matplotlib picks the format by it). On an error it is removed and
    `path` is left as it was.
    """
    path = pathlib.Path(path)
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()


def write_text(path, text):
    """Writes `text` to `path` atomically (UTF-8)."""
    with replacing(path) as partial:
        with open(partial, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())


def save_model(model, path):
    """`model.save(path)` atomically: a crash leaves no half-written file."""
    with replacing(path) as partial:
        model.save(partial)

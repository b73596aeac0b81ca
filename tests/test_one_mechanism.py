"""One mechanism each: the argument checks and the feed-back loop are
written once, read from the package's sources.

A positive-integer or fraction check is `keras_seqlab.utils.validation`'s
(`check_int`, `check_fraction` and their spellings `check_units`,
`check_non_negative`, `check_rate`); a loop that feeds a model's forecasts
back is `keras_seqlab.models.autoregressive.feed_back`, run with a source.
"""

import ast
import importlib.util
import pathlib
import re

import pytest

import keras_seqlab

pytestmark = pytest.mark.backend_free

ROOT = pathlib.Path(keras_seqlab.__file__).parent

# The messages of a check written out again: "`window` must be a positive
# integer, got 0.", "`dropout` must be in [0, 1), got 1.5." Their one home:
HOME = "utils/validation.py"
INTEGER = re.compile(
    r"must be (None or )?(a positive integer|a non-negative integer|"
    r"an integer >= \S+), got"
)
FRACTION = re.compile(
    r"must be (None or )?(a \w+ )?(strictly )?(in|between) [\[(]?0(, | and )1"
)

# Copies still to go, in files other people are editing now, and what they
# should call. This list only shrinks.
PENDING = {}


def _sources():
    """(name relative to the package, path) of every module, reference/
    and tuning/ (mapped from the top level of a checkout) included."""
    found = {}
    for path in ROOT.rglob("*.py"):
        found[path.relative_to(ROOT).as_posix()] = path
    for name in ("reference", "tuning"):
        origin = importlib.util.find_spec(f"keras_seqlab.{name}").origin
        folder = pathlib.Path(origin).parent
        for path in folder.rglob("*.py"):
            found[f"{name}/{path.relative_to(folder).as_posix()}"] = path
    return sorted(found.items())


def _texts(tree):
    """Every string of a module, an f-string's fields as {} (Python joins
    the pieces of a message written over several lines into one)."""
    parts = {
        id(v)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for v in node.values
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in parts:
                yield node.value
        elif isinstance(node, ast.JoinedStr):
            yield "".join(
                v.value if isinstance(v, ast.Constant) else "{}"
                for v in node.values
            )


def _copies_in(source, pattern):
    return [t for t in _texts(ast.parse(source)) if pattern.search(t)]


def _copies(pattern):
    return sorted(
        f"{name}: {text!r}"
        for name, path in _sources()
        if name != HOME and name not in PENDING
        for text in _copies_in(path.read_text(encoding="utf-8"), pattern)
    )


def test_the_patterns_see_a_copy():
    assert INTEGER.search('f"{owner}: `n` must be a positive integer, got "')
    assert INTEGER.search("`gap` must be an integer >= {minimum}, got")
    assert FRACTION.search("`val` must be a fraction in [0, 1), got")
    assert FRACTION.search("must be a number strictly between 0 and 1")
    assert FRACTION.search("`p` must be None or a number in (0, 1), got")
    # A message over two lines is one string.
    message = '(f"{owner}: `c` must be a number strictly between 0 and "\n"1")'
    assert _copies_in(message, FRACTION)


def test_one_positive_integer_check():
    copies = _copies(INTEGER)
    assert not copies, (
        "use keras_seqlab.utils.validation.check_int (or check_units, "
        "check_non_negative; experiments.settings.setting_int for a "
        "setting):\n" + "\n".join(copies)
    )


def test_one_fraction_check():
    copies = _copies(FRACTION)
    assert not copies, (
        "use keras_seqlab.utils.validation.check_fraction (or check_rate):\n"
        + "\n".join(copies)
    )


def _calls(node):
    """The names of the functions `node` calls (`a.b.predict` -> predict)."""
    names = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Call):
            func = child.func
            if isinstance(func, ast.Attribute):
                names.add(func.attr)
            elif isinstance(func, ast.Name):
                names.add(func.id)
    return names


def _feed_back_loops(tree):
    """Loops that run a model (or take its point forecasts) and add to its
    inputs: a feed-back loop written out again (the one in `feed_back`
    asks its source)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.For, ast.While)):
            continue
        calls = _calls(node)
        runs = any("predict" in n for n in calls) or "point_forecast" in calls
        if runs and calls & {"concatenate", "add"}:
            found.append(node.lineno)
    return found


def test_the_loop_finder_sees_a_copy():
    copy = """
for _ in range(10):
    step = model.predict(x)[:, None]
    x = np.concatenate([x, step], axis=1)
"""
    assert _feed_back_loops(ast.parse(copy)) == [2]
    stepped = """
while done < steps:
    new[:, target] = point_forecast(source.next(), quantiles)
    source.add(new)
"""
    assert _feed_back_loops(ast.parse(stepped)) == [2]


def test_one_feed_back_loop():
    loops = [
        f"{name}:{line}"
        for name, path in _sources()
        for line in _feed_back_loops(
            ast.parse(path.read_text(encoding="utf-8"))
        )
    ]
    assert not loops, (
        "feed forecasts back with keras_seqlab.models.autoregressive."
        "feed_back (a source: next, rows, add):\n" + "\n".join(loops)
    )

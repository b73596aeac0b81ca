"""Rows in date order: one rule for a series and for a long table.

A file whose dates run newest-first (the order many finance and ERP
exports use) or jump back and forth is not read as if time ran forward:
its rows are put in date order (a stable sort) and a `RowsSorted`
warning says so, once. A date that appears twice is refused, named: a
series has one row per date. `load_csv`, `series.select` (what `forecast`
and `backtest` read a DataFrame or a `SeriesData` with) and
`panel_from_frame` (per series) apply it; the `seqlab` commands show the
warning as a `note:` line on stderr.
"""

import sys
import warnings

import numpy as np

from keras_seqlab.data.panel_checks import day_text


class RowsSorted(UserWarning):
    """Rows were put in date order.

    Attributes:
        owner: the function that sorted them.
        note: what it did, without the owner (a `seqlab` command prints
            it as `PROG: note: ...`).
    """

    def __init__(self, owner, note):
        super().__init__(f"{owner}: {note}")
        self.owner = owner
        self.note = note


def how_sorted(newest_first):
    return "they ran newest-first" if newest_first else "they were out of order"


def warn_sorted(owner, note):
    """Issues `RowsSorted(owner, note)`, pointing at the first caller
    outside keras_seqlab (the user's `load_csv(...)` line, say)."""
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith(
        "keras_seqlab."
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(RowsSorted(owner, note), stacklevel=level)


def date_order(owner, dates, where):
    """The order that puts `dates` in time order, or None if they are.

    Args:
        owner: the function named in the message and the warning.
        dates: a `datetime64` array (one per row), or None.
        where: what holds the rows, for messages ("data.csv").

    Returns:
        None when the dates increase already (or there are none); else
        the row order (an int array), after a `RowsSorted` warning.

    Raises:
        ValueError: naming `owner`, the date and the two data rows
            (1-based, in the order given), for a date that appears more
            than once; for an empty date (NaT).
    """
    if dates is None or len(dates) < 2:
        return None
    dates = np.asarray(dates)
    missing = np.isnat(dates)
    if missing.any():
        raise ValueError(
            f"{owner}: {where} has {int(missing.sum())} empty date(s), the "
            f"first in data row {int(np.flatnonzero(missing)[0]) + 1}."
        )
    steps = dates[1:] > dates[:-1]
    if steps.all():
        return None
    newest_first = bool((dates[1:] < dates[:-1]).all())
    if newest_first:
        order = np.arange(len(dates) - 1, -1, -1)
    else:
        order = np.argsort(dates, kind="stable")
    ordered = dates[order]
    repeated = np.flatnonzero(ordered[1:] == ordered[:-1])
    if repeated.size:
        k = int(repeated[0])
        first, second = sorted((int(order[k]) + 1, int(order[k + 1]) + 1))
        times = int((ordered == ordered[k]).sum())
        others = len(np.unique(ordered[repeated]))
        more = f"; {others - 1} other date(s) repeat too" if others > 1 else ""
        raise ValueError(
            f"{owner}: the date {day_text(ordered[k])} appears {times} times "
            f"in {where} (data rows {first} and {second}){more}; a series "
            "has one row per date: drop or aggregate the repeats."
        )
    how = how_sorted(newest_first)
    warn_sorted(owner, f"rows of {where} sorted by date ({how})")
    return order

"""Optional dependencies of :mod:`graphsiem.lab` (the ``[notebooks]`` extra), imported lazily."""

from __future__ import annotations

from typing import Any

import numpy as np

EXTRA_HINT = "install the notebooks extra: pip install 'graphsiem[notebooks]'"


def pandas() -> Any:
    """The ``pandas`` module, or an ImportError that says how to install it."""
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - the extra is installed in the dev env
        raise ImportError(f"graphsiem.lab needs pandas: {EXTRA_HINT}") from exc
    return pandas


def pyplot() -> Any:
    """``matplotlib.pyplot``, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover
        raise ImportError(f"graphsiem.lab needs matplotlib: {EXTRA_HINT}") from exc
    return plt


def timestamps(seconds: Any) -> Any:
    """Epoch seconds as UTC pandas timestamps, in whole milliseconds.

    Float epoch seconds carry noise below the millisecond (``pd.to_datetime(x, unit="s")``
    shows 10:12:47.904999971); the journal and the API write whole milliseconds.

    Parameters
    ----------
    seconds : float or array-like of float
        Epoch seconds (a Series, a list, a store's ``first_seen`` column).

    Returns
    -------
    pandas.DatetimeIndex
        The same instants in UTC, rounded to the millisecond.

    Examples
    --------
    >>> timestamps([1762078367.905])[0]
    Timestamp('2025-11-02 10:12:47.905000+0000', tz='UTC')
    """
    # Whole milliseconds, as epoch_to_iso renders them (float seconds carry noise below that).
    millis = np.round(np.asarray(seconds, dtype=np.float64) * 1000.0).astype(np.int64)
    return pandas().to_datetime(millis, unit="ms", utc=True)

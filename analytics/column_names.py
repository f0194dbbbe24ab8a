"""``ColumnNames``: an immutable list of column names that pandas selects columns by.

pandas reads a tuple as *one* key (``frame[("a", "b")]`` looks for a column
named ``("a", "b")``, a MultiIndex key), so ``frame[analytics.features.SCORED_FEATURES]``
was a KeyError while the tuple stayed immutable on purpose (review U4 F5).  This
sequence is not a tuple: pandas takes it as a list of columns, and it cannot
be changed in place.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload


class ColumnNames(Sequence[str]):
    """An immutable, ordered sequence of column names that ``frame[names]`` reads as columns.

    Compares equal to a tuple or list of the same names, in order.

    Examples
    --------
    >>> import pandas as pd
    >>> names = ColumnNames(("a", "b"))
    >>> list(pd.DataFrame({"a": [1], "b": [2], "c": [3]})[names].columns)
    ['a', 'b']
    >>> names.index("b"), "a" in names, names == ("a", "b"), names[0], len(names)
    (1, True, True, 'a', 2)
    """

    __slots__ = ("_names",)

    def __init__(self, names: Sequence[str]) -> None:
        self._names = tuple(names)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...
    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        return self._names[index]

    def __len__(self) -> int:
        return len(self._names)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, ColumnNames):
            return self._names == other._names
        if isinstance(other, tuple | list):
            return self._names == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._names)

    def __repr__(self) -> str:
        return f"ColumnNames({self._names!r})"

    def __add__(self, other: Sequence[str]) -> tuple[str, ...]:
        return self._names + tuple(other)

    def __radd__(self, other: Sequence[str]) -> tuple[str, ...]:
        return tuple(other) + self._names

"""The examples in the packages' docstrings run and give what they show.

Docstring examples are documentation a reader trusts, so they are tests too:
each module of ``graphsiem``, ``ingest`` and ``analytics`` that has examples
is run with :func:`doctest.testmod` (examples marked ``+SKIP`` need a live
store or data directory and are not run).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("graphsiem", "ingest", "analytics")


def _modules_with_examples() -> list[str]:
    names = []
    finder = doctest.DocTestFinder()
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if info.name.endswith(".__main__"):  # runs the CLI when imported
                continue
            module = importlib.import_module(info.name)
            if any(test.examples for test in finder.find(module)):
                names.append(info.name)
    return names


MODULES = _modules_with_examples()


def test_the_packages_have_examples_to_run():
    assert len(MODULES) >= 20  # a walk that found nothing would pass every case below


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"

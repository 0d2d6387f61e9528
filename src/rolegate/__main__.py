"""The ``rolegate`` command's entry point (also ``python -m rolegate``).

Two things here shorten every start, ``serve``'s cold start above all (bench/README.md,
"Cold start"):

- The cyclic garbage collector is paused while the CLI and, for ``serve``, the API are
  imported: the import allocates a few hundred thousand long-lived containers (models,
  routes, schemas), each allocation burst triggering collections that walk them all and
  find nothing to free. ``serve`` resumes it when the import is done and freezes what
  was imported before forking (serving.py); every other command resumes it right away.
- structlog is imported with rich hidden. When rich is installed (typer depends on it),
  structlog imports it for its console renderer and pretty tracebacks, about 4% of
  ``serve``'s import. rolegate renders JSON lines only (rolegate.logs), so structlog takes its
  branch for a missing rich; typer still imports rich when it prints help or an error.
"""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def _hidden(module: str) -> Iterator[None]:
    """``import module`` raises ImportError inside, unless it is already imported."""
    if module in sys.modules:
        yield
        return
    sys.modules[module] = None  # type: ignore[assignment]  # the import system's "absent"
    try:
        yield
    finally:
        del sys.modules[module]


def load_cli() -> Callable[[], Any]:
    """Import the CLI the way every command starts (bench/import_cost.py measures it)."""
    gc.disable()
    with _hidden("rich"):
        import structlog  # noqa: F401 - see the module docstring
    from rolegate.cli import app

    gc.enable()
    return app


def main() -> None:
    load_cli()()


if __name__ == "__main__":
    main()

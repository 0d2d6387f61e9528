"""The ``rolegate`` command's entry point (also ``python -m rolegate``).

The cyclic garbage collector is paused while the CLI and, for ``serve``, the API are
imported: the import allocates a few hundred thousand long-lived containers (models,
routes, schemas), each allocation burst triggering collections that walk them all and
find nothing to free. ``serve`` resumes it when the import is done and freezes what was
imported before forking (serving.py); every other command resumes it right away.
"""

from __future__ import annotations

import gc


def main() -> None:
    gc.disable()
    from rolegate.cli import app

    gc.enable()
    app()


if __name__ == "__main__":
    main()

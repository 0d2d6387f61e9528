"""``rolegate serve`` whose second worker pauses right after its fork, before it has
installed its own signal handlers: the window in which a shutdown signal used to be lost.

The pause starts by creating the file ``SLOW_WORKER_MARKER`` names, so a test knows when
the worker is in it; it lasts ``SLOW_WORKER_SECONDS``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from rolegate import serving


def _pause_the_second_worker(_arbiter: Any, worker: Any) -> None:
    if worker.age == 2:
        Path(os.environ["SLOW_WORKER_MARKER"]).touch()
        time.sleep(float(os.environ["SLOW_WORKER_SECONDS"]))


class _SlowBootApplication(serving._Application):
    def load_config(self) -> None:
        super().load_config()
        self.cfg.set("post_fork", _pause_the_second_worker)


if __name__ == "__main__":
    serving._Application = _SlowBootApplication  # type: ignore[misc]
    from rolegate.__main__ import main

    sys.argv[0] = "rolegate"
    main()

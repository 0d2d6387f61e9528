"""Count the instructions ``rolegate serve``'s parent spends importing, per revision.

    .venv/bin/python bench/import_cost.py HEAD~1 HEAD        # needs valgrind

Cold start is that import (bench/README.md, "Cold start"), but its wall time on this
host swings by 2x within minutes, far more than most changes to it. valgrind's
cachegrind counts the instructions the interpreter executes, which repeat to within
0.1% from run to run. Each revision is exported as ``compare.py`` does and imported
from its own ``src/``: the CLI as the entry point loads it, then what ``serve`` imports
before forking (the serving module and the API). Two revisions run at a time.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from compare import export  # noqa: E402

# The parent's imports, with the GC paused as rolegate/__main__.py and serving.py pause it.
PROBE = """
import gc
try:
    from rolegate.__main__ import load_cli
except ImportError:  # revisions before load_cli: the CLI was imported plainly
    gc.disable()
    import rolegate.cli
else:
    load_cli()
gc.disable()
import rolegate.serving, rolegate.main
"""

_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def instructions(valgrind_output: str) -> int:
    """The ``I refs`` total of a cachegrind run."""
    found = _REFS.search(valgrind_output)
    if found is None:
        raise ValueError(f"no instruction count in valgrind's output:\n{valgrind_output[-800:]}")
    return int(found.group(1).replace(",", ""))


def count(tree: Path) -> int:
    done = subprocess.run(
        [
            *("valgrind", "--tool=cachegrind", "--cache-sim=no"),
            "--cachegrind-out-file=/dev/null",
            *(sys.executable, "-c", PROBE),
        ],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree / "src")},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{tree.name}: the import failed\n{done.stderr[-1500:]}")
    return instructions(done.stderr)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("revs", nargs="+")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="rolegate-import-") as tmp:
        trees = {rev: export(rev, Path(tmp)) for rev in args.revs}
        with ThreadPoolExecutor(max_workers=2) as pool:
            counts = dict(zip(trees, pool.map(count, trees.values()), strict=True))
    first = counts[args.revs[0]]
    for rev, n in counts.items():
        print(f"{rev:>12}: {n / 1e6:8.0f} M instructions ({(n - first) / first:+.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

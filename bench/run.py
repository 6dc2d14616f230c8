"""Run every benchmark in turn and print their tables (`make bench`).

Benchmarks print figures; they never fail a build. Run them on an otherwise idle
machine: the ratios compare engines measured in the same run, the absolute seconds do not.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ("time_to_accuracy.py", "scratch_core.py", "scratch_layers.py")


def main() -> int:
    for name in BENCHES:
        script = HERE / name
        if not script.exists():
            continue
        print(f"\n=== {name} ===", flush=True)
        subprocess.run([sys.executable, str(script)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Create N projects in one process through flaskproto's library API.

Usage: python bench/many.py N OUTPUT_DIR

Prints one JSON object: ``total`` (seconds from just before the first
``create_project`` call to just after the last) and ``calls`` (the seconds each
call took, in order). The first call pays for the lazy imports of the renderer.
"""

import json
import sys
import time

from flaskproto import create_project


def main() -> None:
    count, output_dir = int(sys.argv[1]), sys.argv[2]
    calls = []
    start = time.perf_counter()
    for i in range(count):
        before = time.perf_counter()
        create_project(f"project{i}", output_dir, git=False)
        calls.append(time.perf_counter() - before)
    total = time.perf_counter() - start
    print(json.dumps({"total": total, "calls": calls}))


if __name__ == "__main__":
    main()

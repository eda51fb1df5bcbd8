"""The web console's size as a browser downloads it: each file of console/dist, raw and gzip-compressed.

Run after `make console` (the bench target builds it first).
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

DIST = Path(__file__).resolve().parent.parent / "console" / "dist"
SERVED = {".js", ".css", ".html", ".svg", ".json"}


def main() -> int:
    if not (DIST / "index.html").is_file():
        print("console/dist is not built: run `make console`", file=sys.stderr)
        return 1
    rows = []
    for file in sorted(DIST.iterdir()):
        if file.is_file() and file.suffix in SERVED and file.name != "meta.json":
            data = file.read_bytes()
            rows.append((file.name, len(data), len(gzip.compress(data, compresslevel=9))))
    print("console bundle (console/dist)          raw       gzip")
    for name, raw, packed in rows:
        print(f"  {name:<30} {raw / 1024:>8.1f} KiB {packed / 1024:>8.1f} KiB")
    print(f"  {'total':<30} {sum(r[1] for r in rows) / 1024:>8.1f} KiB {sum(r[2] for r in rows) / 1024:>8.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

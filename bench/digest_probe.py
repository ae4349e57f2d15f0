"""`flask digest send`, run as the CLI runs it, counting its SQL statements.

The runner starts this as a child process (so its wall time and peak memory are the
command's own) with the app's environment: DATABASE_URL, MAIL_SERVER, MAIL_PORT...
It prints one JSON line: statements, exit code, the command's output summary.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Not getrusage's ru_maxrss: that one
    counts the parent's memory copied by fork before exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> int:
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db

    app = create_app()
    statements = 0

    def count(*_args) -> None:  # type: ignore[no-untyped-def]
        nonlocal statements
        statements += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        started = time.perf_counter()
        result = app.test_cli_runner().invoke(args=["digest", "send", *sys.argv[1:]])
        seconds = time.perf_counter() - started
    lines = [line for line in result.output.splitlines() if not line.startswith("  ")]
    print(
        "DIGESTJSON "
        + json.dumps(
            {
                "statements": statements,
                "exit_code": result.exit_code,
                "seconds_inside": round(seconds, 2),
                "summary": lines,
                "error": repr(result.exception) if result.exit_code else None,
                "peak_mb": _peak_rss_mb(),
            }
        )
    )
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())

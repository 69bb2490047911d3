"""`make run` on a fresh clone, as the README tells a new user: migrate, the demo portfolio and its users, the
local model hub, the web server, on the embedded default (SQLite, tasks in-process). The app must answer
/healthz, let the demo analyst sign in, show the dashboard, and stop cleanly on Ctrl-C.

The clone is the repository's files copied into a temporary directory (no var/, no database, no secret key)
with the already-installed .venv linked in, so `make install` has nothing to do and nothing is downloaded.
"""

import hashlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.services import ROOT, wait_for

pytestmark = pytest.mark.smoke

# What a new user's shell has: none of the suite's service settings leak into the app.
_KEPT_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fresh_clone(target: Path) -> Path:
    """The repository's files (tracked and new, not ignored) as a clone would have them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)  # times kept: make must not see pyproject.toml as newly changed
    (target / ".venv").symlink_to(ROOT / ".venv")
    # The suite runs from this .venv, so it holds what pyproject.toml asks for: mark it installed the way
    # `make install` does, or `make run` would reinstall the package into it from the temporary copy.
    digest = hashlib.sha1((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:12]  # noqa: S324 (make's stamp)
    (ROOT / ".venv" / f".installed-{digest}").touch(exist_ok=True)
    return target


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _healthy(base: str):
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
            return json.load(response)
    except (OSError, ValueError):
        return None


class _Browser:
    """Just enough of a browser: cookies kept, redirects followed, pages as text."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path: str, form: dict | None = None) -> tuple[str, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(f"{self.base}{path}", data=data, headers={"Referer": f"{self.base}{path}"})
        with self.opener.open(request, timeout=30) as response:
            return response.geturl(), response.read().decode()


def test_make_run_on_a_fresh_clone_serves_the_demo_and_stops_cleanly(tmp_path):
    clone = _fresh_clone(tmp_path / "riskregistry")
    port, hub_port = _free_port(), _free_port()
    env = {key: os.environ[key] for key in _KEPT_ENV if key in os.environ}
    log_path = tmp_path / "make-run.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            ["make", "run", f"PORT={port}", f"HUB_PORT={hub_port}"],
            cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        health = wait_for(lambda: process.poll() is None and _healthy(base), timeout=600, interval=1)
        assert health, f"/healthz never answered:\n{log_path.read_text()[-4000:]}"
        assert health["task_mode"] == "in-process"
        assert (clone / "var" / "riskregistry.sqlite3").exists()  # the embedded default, not the suite's database

        browser = _Browser(base)
        _, login = browser.open("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login).group(1)
        url, dashboard = browser.open(
            "/accounts/login/",
            {"username": "analyst", "password": "riskregistry-demo", "csrfmiddlewaretoken": token},
        )
        assert url == f"{base}/" and "Third-party AI portfolio" in dashboard
        assert "Northwind Legal AI" in browser.open("/vendors/")[1]  # the demo portfolio is there
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal that ran `make run`
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            pytest.fail(f"make run did not stop within 30 s of Ctrl-C:\n{log_path.read_text()[-4000:]}")

    assert wait_for(lambda: not _port_open(port) and not _port_open(hub_port), timeout=10), "a server kept running"
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # nothing left in the process group
    output = log_path.read_text()
    assert "Traceback" not in output, output[-4000:]

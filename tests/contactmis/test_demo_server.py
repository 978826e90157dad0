"""``make demo`` serves as production would: the commands ``make demo`` runs (read from
``make -n``), run against a fresh database, serve the sign-in page, the start page, static files
through WhiteNoise and the styled 404 with debug off, and the API docs from local files."""

import http.cookiejar
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO

BIN = Path(sys.executable).parent


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _demo_commands(port, key_file):
    out = subprocess.run(
        [
            "make",
            "-n",
            "--no-print-directory",
            "demo",
            f"BIN={BIN}",
            "HOST=127.0.0.1",
            f"PORT={port}",
            f"SECRET_KEY_FILE={key_file}",
        ],
        cwd=REPO,
        # Run from `make test`, the outer make's flags would make this one announce directories.
        env={k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # Installing packages is make's business, not this test's.
    return [
        line
        for line in out.splitlines()
        if "pip install" not in line and not line.startswith(("touch ", "make[", "make:"))
    ]


class Browser:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path, data=None):
        request = urllib.request.Request(
            self.base + path, data=data, headers={"Referer": self.base + "/accounts/login/"}
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def cookie(self, name):
        return next(c.value for c in self.jar if c.name == name)


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    port = _free_port()
    key_file = tmp / "var" / "secret_key"
    commands = _demo_commands(port, key_file)
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("DJANGO_", "DATABASE_URL", "REDIS_URL", "CELERY_", "CACHE_URL", "EMAIL_")
        )
    }
    environment.update(
        DATABASE_URL=f"sqlite:///{tmp / 'demo.sqlite3'}",
        DJANGO_STATIC_ROOT=str(tmp / "static"),
        EMAIL_FILE_PATH=str(tmp / "mail"),
    )
    *setup, serve = commands
    for line in setup:
        if "demo_setup" in line:
            line += " --skip-data"  # the simulated centre takes minutes; logins suffice here
        subprocess.run(line, shell=True, cwd=REPO, env=environment, check=True, capture_output=True)
    server = subprocess.Popen(
        shlex.split(serve) if "=" not in serve.split()[0] else ["env", *shlex.split(serve)],
        cwd=REPO,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.5)
        yield {"base": base, "commands": commands, "key_file": key_file, "static": tmp / "static"}
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_make_demo_runs_with_debug_off_and_collects_static_files(demo_site):
    commands = demo_site["commands"]
    serve = commands[-1]
    assert "manage.py runserver" in serve and "--insecure" not in serve
    assert "DJANGO_DEBUG=false" in serve and "DJANGO_SECRET_KEY_FILE=" in serve
    assert any("manage.py collectstatic" in line for line in commands)
    key = demo_site["key_file"].read_text().strip()
    assert len(key) >= 50 and key != "contactmis-insecure-development-key"
    assert oct(demo_site["key_file"].stat().st_mode & 0o777) == "0o600"
    assert (demo_site["static"] / "staticfiles.json").exists()


def test_the_demo_serves_pages_static_files_and_the_styled_404(demo_site):
    browser = Browser(demo_site["base"])
    status, _, body = browser.get("/accounts/login/")
    assert status == 200 and b"Sign in to ContactMIS" in body
    # Static files under their hashed names, served by WhiteNoise with a long cache.
    css = re.search(rb'href="(/static/css/contactmis\.[0-9a-f]{12}\.css)"', body).group(1)
    status, headers, content = browser.get(css.decode())
    assert status == 200 and "text/css" in headers["Content-Type"] and len(content) > 1000
    assert "max-age=315360000" in headers.get("Cache-Control", "")

    status, _, body = browser.get("/no/such/page/")
    assert status == 404 and b"<h1>Not found</h1>" in body and b"URLconf" not in body

    form = urllib.parse.urlencode(
        {
            "username": "manager",
            "password": "contactmis-manager",
            "csrfmiddlewaretoken": browser.cookie("csrftoken"),
        }
    ).encode()
    status, _, body = browser.get("/accounts/login/", data=form)
    assert status == 200 and b"Sign out" in body  # followed the redirect to the start page


def test_the_demo_api_docs_load_only_local_files(demo_site):
    browser = Browser(demo_site["base"])
    browser.get("/accounts/login/")
    form = urllib.parse.urlencode(
        {
            "username": "analyst",
            "password": "contactmis-analyst",
            "csrfmiddlewaretoken": browser.cookie("csrftoken"),
        }
    ).encode()
    browser.get("/accounts/login/", data=form)
    for page in ("/api/docs/", "/api/redoc/"):
        status, _, body = browser.get(page)
        assert status == 200, page
        assets = re.findall(rb'(?:src|href)="([^"]+)"', body)
        assert assets, page
        for asset in assets:
            assert asset.startswith(b"/") and not asset.startswith(b"//"), (page, asset)
            status, _, content = browser.get(asset.decode())
            assert status == 200 and content, (page, asset)

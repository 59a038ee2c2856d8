"""Serve the application with waitress, as on a device, and ask it over HTTP."""

import os
import re
import secrets
{%- if cookiecutter.with_mqtt %}
import shutil
import signal
{%- endif %}
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest
{%- if cookiecutter.with_mqtt %}
from mosquitto import Mosquitto, wait_for
{%- endif %}

#: How long to wait for waitress before calling it a failure: far longer than a
#: busy machine needs, since every wait ends as soon as its condition holds.
PATIENCE = 120
SERVING = re.compile(r"Serving on http://127\.0\.0\.1:(\d+)")


@contextmanager
def waitress(tmp_path, **env):
    """waitress on 127.0.0.1: its process and base URL once it answers.

    Port 0 lets the system give a free port as waitress binds it, and
    waitress's log says which.
    """
    log_path = tmp_path / "waitress.log"
    env = dict(os.environ, FLASK_SECRET_KEY=secrets.token_hex(32), **env)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "waitress",
                "--host=127.0.0.1",
                "--port=0",
                "--threads=2",
                "{{ cookiecutter.package_name }}:app",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + PATIENCE
        while not (found := SERVING.search(log_path.read_text())):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"waitress did not start:\n{log_path.read_text()}")
            time.sleep(0.05)
        yield process, f"http://127.0.0.1:{found[1]}"
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=PATIENCE)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_production_server_serves(tmp_path):
    with waitress(tmp_path) as (_, server):
        assert get(server + "/") == (200, "Hello World!")
        assert get(server + "/healthz")[0] == 200
        assert get(server + "/nowhere")[0] == 404
{%- if cookiecutter.with_mqtt %}
        assert wait_for(lambda: get(server + "/readyz")[0] == 200)


@pytest.mark.parametrize(
    ("signal_number", "exit_code", "status"),
    [(signal.SIGINT, 0, "offline"), (signal.SIGKILL, -signal.SIGKILL, "lost")],
    ids=["stopped", "killed"],
)
def test_status_says_how_the_service_ended(
    tmp_path, device, signal_number, exit_code, status
):
    # systemd and the container stop waitress with SIGINT.
    topic = f"ended-{status}/status"
    device.subscribe(topic)
    with waitress(tmp_path, MQTT_TOPIC_PREFIX=f"ended-{status}") as (process, _):
        assert wait_for(lambda: device.heard(topic) == [{"status": "online"}])
        process.send_signal(signal_number)
        assert process.wait(timeout=PATIENCE) == exit_code
    assert wait_for(lambda: device.heard(topic)[-1] == {"status": status})


def test_connects_over_tls(tmp_path):
    # A certificate for 127.0.0.1 that the service trusts through MQTT_CA_FILE.
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make the test certificate"
    cert, key = tmp_path / "broker.pem", tmp_path / "broker.key"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
        check=True,
    )
    broker = Mosquitto(tmp_path, tls=(cert, key))
    tls = {"MQTT_TLS": "1", "MQTT_CA_FILE": str(cert), "MQTT_PORT": str(broker.port)}
    try:
        with waitress(tmp_path, **tls) as (_, server):
            assert wait_for(lambda: get(server + "/readyz")[0] == 200)
    finally:
        broker.stop()
{%- endif %}

import os
import secrets
{%- if cookiecutter.with_mqtt %}
import shutil
import tempfile
from pathlib import Path
{%- endif %}

import pytest
{%- if cookiecutter.with_mqtt %}
from mosquitto import Device, Mosquitto
{%- endif %}

# The application module reads its secret key when it is imported.
os.environ.setdefault("FLASK_SECRET_KEY", secrets.token_hex(32))
{%- if cookiecutter.with_mqtt %}

_broker: list[Mosquitto] = []


def pytest_configure(config):
    # The application connects to its broker when it is imported, so the
    # broker starts before the tests are collected.
    broker = Mosquitto(Path(tempfile.mkdtemp(prefix="mosquitto-")))
    _broker.append(broker)
    os.environ["MQTT_HOST"] = "127.0.0.1"
    os.environ["MQTT_PORT"] = str(broker.port)


def pytest_unconfigure(config):
    for broker in _broker:
        broker.stop()
        shutil.rmtree(broker.directory, ignore_errors=True)


@pytest.fixture()
def broker() -> Mosquitto:
    return _broker[0]


@pytest.fixture()
def device(broker):
    device = Device(broker.port)
    yield device
    device.close()
{%- endif %}


@pytest.fixture()
def client():
    from {{ cookiecutter.package_name }} import app

    return app.test_client()

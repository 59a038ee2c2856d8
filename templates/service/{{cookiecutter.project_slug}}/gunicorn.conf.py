"""Gunicorn settings for production; each can be changed from the environment."""

import logging
import os
{%- if cookiecutter.with_metrics %}
import shutil
{%- endif %}
import subprocess  # nosec B404
import sys
{%- if cookiecutter.with_metrics %}
import tempfile
from pathlib import Path
{%- endif %}

# The address to listen on. Containers set BIND=0.0.0.0:8000.
bind = os.environ.get("BIND", "127.0.0.1:{{ cookiecutter.port }}")
{%- if cookiecutter.with_api and not cookiecutter.with_db %}
# The items of /api/items live in the memory of one process: one worker serves
# them all, and WEB_CONCURRENCY is its number of threads. With several worker
# processes, each would have items of its own.
workers = 1
threads = int(os.environ.get("WEB_CONCURRENCY") or 4)
{%- else %}
# WEB_CONCURRENCY is the usual knob: the number of worker processes.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
{%- endif %}
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms [%({x-request-id}o)s]'


class AccessFields(logging.Filter):
    """Give an access log record its request's fields, for the JSON lines.

    gunicorn logs a request with its atoms, as in access_log_format, for
    arguments; the service's logs module puts the route in the WSGI environ.
    """

    def filter(self, record):
        atoms = record.args
        record.request_id = atoms["{x-request-id}o"]
        record.method = atoms["m"]
        record.route = atoms.get("{{ '{' }}{{ cookiecutter.package_name }}.route}e")
        record.path = atoms["U"]
        record.status = int(atoms["s"])
        record.duration_ms = atoms["D"] / 1000
        return True


# FLASK_LOG_FORMAT=json: gunicorn's lines too are JSON objects, one a line,
# with the fields of the service's own (see the logs module).
if os.environ.get("FLASK_LOG_FORMAT") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"access": {"()": AccessFields}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",
            }
        },
        "handlers": {
            "error": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json",
            },
            "access": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
                "filters": ["access"],
            },
        },
        "root": {"level": "INFO", "handlers": ["error"]},
        "loggers": {
            "gunicorn.error": {"handlers": ["error"], "propagate": False},
            "gunicorn.access": {"handlers": ["access"], "propagate": False},
        },
    }
# No runtime control socket: the service is managed by signals and its supervisor.
control_socket_disable = True


def on_starting(server):
    """Check the settings once, before any worker starts.

    A refusal, such as a weak FLASK_SECRET_KEY, is one line and exit status 1
    rather than a traceback from each worker. The check (the package's
    ``python -m`` entry) runs in a process of its own, so this one never
    imports the service: a reload (HUP) loads its new code.
    """
    check = [sys.executable, "-m", "{{ cookiecutter.package_name }}"]
    if subprocess.run(check, check=False).returncode != 0:  # noqa: S603  # nosec B603
        sys.exit(1)
{%- if cookiecutter.with_metrics %}
    # Start with no metrics files: those of an earlier run would count again.
    metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for path in metrics_dir.glob("*.db"):
        path.unlink()
{%- endif %}
{%- if cookiecutter.with_metrics %}


# Prometheus metrics: each worker writes its samples to files in
# PROMETHEUS_MULTIPROC_DIR and /metrics adds up the files of every worker. The
# workers inherit the variable, so it is set here, before any of them starts.
# Without one, gunicorn makes a temporary directory and removes it on exit; a
# reload (HUP) reads this file again and keeps the directory already in use.
_made_metrics_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _made_metrics_dir = tempfile.mkdtemp(prefix="metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _made_metrics_dir


def child_exit(server, worker):
    """Tell prometheus_client a worker is gone, so its live gauges are dropped."""
    # Imported here, once PROMETHEUS_MULTIPROC_DIR is set: prometheus_client
    # chooses multiprocess mode when first imported, and workers forked later
    # inherit the master's modules.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics directory if gunicorn made it."""
    if _made_metrics_dir:
        shutil.rmtree(_made_metrics_dir, ignore_errors=True)
{%- endif %}

"""Gunicorn settings for production; each can be changed from the environment."""

import os
{%- if cookiecutter.with_metrics %}
import shutil
import tempfile
from pathlib import Path
{%- endif %}

# The address to listen on. Containers set BIND=0.0.0.0:8000.
bind = os.environ.get("BIND", "127.0.0.1:8000")
# WEB_CONCURRENCY is the usual knob; by default two workers per CPU, plus one.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms [%({x-request-id}o)s]'
# No runtime control socket: the service is managed by signals and its supervisor.
control_socket_disable = True
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


def on_starting(server):
    """Start with no metrics files: those of an earlier run would count again."""
    metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for path in metrics_dir.glob("*.db"):
        path.unlink()


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

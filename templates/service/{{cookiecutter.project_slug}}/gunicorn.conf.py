"""Gunicorn settings for production; each can be changed from the environment."""

import os

# The address to listen on. Containers set BIND=0.0.0.0:8000.
bind = os.environ.get("BIND", "127.0.0.1:8000")
# WEB_CONCURRENCY is the usual knob; by default two workers per CPU, plus one.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms [%({x-request-id}o)s]'
# No runtime control socket: the service is managed by signals and its supervisor.
control_socket_disable = True

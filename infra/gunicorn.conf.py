"""gunicorn settings for the web tier: `gunicorn -c infra/gunicorn.conf.py wsgi:app`.

Everything comes from the environment, so one image serves every deployment:
GUNICORN_BIND (default 0.0.0.0:8000), WEB_CONCURRENCY (worker processes; default 2 × CPUs + 1,
at most 8 — set it explicitly in containers, where the CPU count is the host's), GUNICORN_THREADS
(default 1), GUNICORN_TIMEOUT (seconds, default 30), GUNICORN_LOG_LEVEL (default info).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 8))
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200

# No preloading: each worker builds the app after the fork, so no database connection, Redis
# client or boto3 session is ever shared between processes.
preload_app = False

# No control socket (gunicorn ≥ 27 would create one under $HOME, read-only in a container).
control_socket_disable = True

# Logs go to stdout/stderr for the platform to collect. The access log records the path without
# its query string (%(U)s, not %(r)s): query strings carry searched names and download tokens.
# No referrer either, for the same reason. The request id links a line to its audit events.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}i)s'

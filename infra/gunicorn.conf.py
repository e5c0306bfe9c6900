"""gunicorn settings for the web tier: `gunicorn -c infra/gunicorn.conf.py wsgi:app`.

Everything comes from the environment, so one image serves every deployment:
GUNICORN_BIND (default 0.0.0.0:8000), WEB_CONCURRENCY (worker processes; default 2 × CPUs + 1,
at most 8 — set it explicitly in containers, where the CPU count is the host's), GUNICORN_THREADS
(default 1), GUNICORN_TIMEOUT (seconds, default 30), GUNICORN_LOG_LEVEL (default info),
FORWARDED_ALLOW_IPS (default 127.0.0.1,::1).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 8))
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
# The proxies wait longer than this (nginx 60 s), and Kubernetes' grace period covers it.
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200

# No preloading: each worker builds the app after the fork, so no database connection, Redis
# client or boto3 session is ever shared between processes.
preload_app = False

# The app decides who the client is: ProxyFix trusts exactly TRUSTED_PROXIES hops of
# X-Forwarded-For/-Proto/-Host. gunicorn's own trust only sets the scheme before that; give it the
# proxy's address, or "*" where nothing but the proxy can reach the port (compose: the web publishes
# no port; Kubernetes: k8s/network-policy.yaml).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Worker heartbeats in memory, not on a disk that can stall (and the root filesystem is read-only).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108  # nosec B108

# No control socket (gunicorn ≥ 27 would create one under $HOME, read-only in a container).
control_socket_disable = True

# Logs go to stdout/stderr for the platform to collect. The access log records the path without
# its query string (%(U)s, not %(r)s): query strings carry searched names and download tokens.
# No referrer either, for the same reason. The request id links a line to its audit events.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}i)s'

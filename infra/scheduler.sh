#!/bin/sh
# Puts on the queue, every SCHEDULER_INTERVAL seconds (default 60), the jobs that were recorded
# while Redis was unreachable. Run exactly one per deployment. A failed round is logged and
# retried on the next one; SIGTERM stops it between rounds.
set -u
cd "$(dirname "$0")/.."
interval="${SCHEDULER_INTERVAL:-60}"
trap 'exit 0' TERM INT
while :; do
    flask --app wsgi jobs requeue || echo "scheduler: requeue failed; retrying in ${interval}s" >&2
    sleep "$interval" &
    wait $!
done

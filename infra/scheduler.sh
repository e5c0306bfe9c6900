#!/bin/sh
# Every SCHEDULER_INTERVAL seconds (default 60): put on the queue the jobs recorded while Redis was
# unreachable. Once a day (the first round of each Hải Phòng date): mark as overdue the people past
# the deadline printed on their certificate. Run exactly one per deployment. A failed round is
# logged and retried on the next one; SIGTERM stops it between rounds.
set -u
cd "$(dirname "$0")/.."
interval="${SCHEDULER_INTERVAL:-60}"
last_daily=""
trap 'exit 0' TERM INT
while :; do
    flask --app wsgi jobs requeue || echo "scheduler: requeue failed; retrying in ${interval}s" >&2
    today=$(TZ=Asia/Ho_Chi_Minh date +%F)
    if [ "$today" != "$last_daily" ]; then
        if flask --app wsgi returnees mark-overdue; then
            last_daily="$today"
        else
            echo "scheduler: mark-overdue failed; retrying in ${interval}s" >&2
        fi
    fi
    sleep "$interval" &
    wait $!
done

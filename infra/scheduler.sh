#!/bin/sh
# Every SCHEDULER_INTERVAL seconds (default 60): put on the queue the jobs recorded while Redis was
# unreachable. Once a day (the first round of each Hải Phòng date): mark as overdue the people past
# the deadline printed on their certificate, and remind the units of reports due soon or late
# (idempotent: a reminder is recorded, and e-mailed, once per unit, period and kind). Run exactly one per deployment. A failed round is
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
        daily_ok=1
        flask --app wsgi returnees mark-overdue || {
            daily_ok=0; echo "scheduler: mark-overdue failed; retrying in ${interval}s" >&2; }
        flask --app wsgi reports remind || {
            daily_ok=0; echo "scheduler: reports remind failed; retrying in ${interval}s" >&2; }
        if [ "$daily_ok" = 1 ]; then
            last_daily="$today"
        fi
    fi
    sleep "$interval" &
    wait $!
done

#!/bin/sh
# An RQ worker inside the app: `infra/worker.sh [reports documents files]` (all queues by default,
# or the ones named in WORKER_QUEUES). It first queues the jobs recorded while Redis was down, and
# disposes of the database engine before work horses fork. On SIGTERM it finishes the current job,
# so give it a stop grace period longer than the longest job timeout (15 minutes for reports).
set -eu
cd "$(dirname "$0")/.."
if [ "$#" -eq 0 ] && [ -n "${WORKER_QUEUES:-}" ]; then
    # shellcheck disable=SC2086  # a space-separated list of queue purposes
    set -- ${WORKER_QUEUES}
fi
exec flask --app wsgi jobs worker "$@"

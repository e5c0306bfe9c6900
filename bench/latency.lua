-- wrk script for bench/web.py: after the run, one JSON line with what wrk's own summary lacks
-- (its --latency table stops at 50/75/90/99; the goal is about p95) and the error counts.
-- Latencies are in microseconds, as wrk records them.

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nBENCH {"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end

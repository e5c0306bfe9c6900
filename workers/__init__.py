"""Background work: RQ queues and jobs, tracked by tenant-owned task rows; file storage."""

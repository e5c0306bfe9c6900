"""Create the deployment's bucket when it is missing: `python infra/ensure_bucket.py`.

The one-host compose file runs its own S3 server, which starts empty; its migrate service runs
this first. Reads STORAGE_URL (s3://bucket/prefix), S3_ENDPOINT_URL, S3_REGION and boto3's AWS_*
credentials, as the app does, and waits up to STORAGE_WAIT_SECONDS (default 60) for the server.
Idempotent: an existing bucket is left as it is, and a file:// STORAGE_URL needs nothing.
"""

import os
import sys
import time

from botocore.exceptions import BotoCoreError, ClientError

from workers.storage import S3Storage, make_storage

# AWS refuses a location constraint naming its default region; every other region needs one.
DEFAULT_REGION = "us-east-1"


def ensure_bucket(storage: S3Storage, region: str) -> bool:
    """True if the bucket was created, False if it was there already."""
    try:
        storage.client.head_bucket(Bucket=storage.bucket)
        return False
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in {"404", "NoSuchBucket", "NotFound"}:
            raise
    extra = {} if region == DEFAULT_REGION else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    storage.client.create_bucket(Bucket=storage.bucket, **extra)
    return True


def main() -> int:
    url = os.environ.get("STORAGE_URL", "")
    region = os.environ.get("S3_REGION", "ap-southeast-1")
    storage = make_storage(url, os.environ.get("S3_ENDPOINT_URL") or None, region) if url else None
    if not isinstance(storage, S3Storage):
        print("ensure_bucket: STORAGE_URL is not s3://, nothing to create")
        return 0
    deadline = time.monotonic() + int(os.environ.get("STORAGE_WAIT_SECONDS") or 60)
    while True:
        try:
            created = ensure_bucket(storage, region)
            break
        except (BotoCoreError, ClientError) as exc:
            # The server may still be starting; anything else (bad credentials) shows after the wait.
            if time.monotonic() > deadline:
                print(f"ensure_bucket: cannot reach bucket {storage.bucket}: {exc}", file=sys.stderr)
                return 1
            time.sleep(2)
    print(f"bucket {storage.bucket} {'created' if created else 'exists'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

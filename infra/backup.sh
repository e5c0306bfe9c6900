#!/bin/sh
# Back up the portal: the database (pg_dump, custom format) and then the file storage, into
#     DEST/portal-YYYYMMDDTHHMMSSZ/{database.dump, storage/, SHA256SUMS}
# Usage: infra/backup.sh DEST
#
# Environment
#   BACKUP_DATABASE_URL  a role that can read every row: a superuser, or a role with BYPASSRLS and
#                        read access (PostgreSQL 14+: GRANT pg_read_all_data). The tables FORCE
#                        row-level security, so pg_dump as the owner fails and the app role sees
#                        nothing. Defaults to MIGRATION_DATABASE_URL. The SQLAlchemy form
#                        postgresql+psycopg://… is accepted.
#   STORAGE_URL          file:///folder or s3://bucket/prefix, as for the app; for s3:// also
#                        S3_ENDPOINT_URL (non-AWS servers) and the AWS_* credentials.
# Needs pg_dump (the server's major version or newer) and, for s3://, the AWS CLI (`aws s3 sync`).
#
# Not in the backup, on purpose: the secrets (SECRET_KEY, database and S3 credentials). Keep them
# apart, in the password manager or secret store. The backup itself holds sensitive personal data:
# keep it encrypted, access-controlled and in Vietnam. Restore with infra/restore.sh.
set -eu
umask 077

dest_root="${1:?usage: infra/backup.sh DEST}"
db_url="${BACKUP_DATABASE_URL:-${MIGRATION_DATABASE_URL:-}}"
[ -n "$db_url" ] || { echo "backup: set BACKUP_DATABASE_URL" >&2; exit 2; }
storage_url="${STORAGE_URL:?backup: set STORAGE_URL}"
libpq_url=$(printf '%s' "$db_url" | sed 's|^postgresql+[a-z0-9]*://|postgresql://|')

dest="$dest_root/portal-$(date -u +%Y%m%dT%H%M%SZ)"
work="$dest.partial"
# One run per name: a second run in the same second would otherwise share the first's work folder
# or be moved *inside* the finished one, and still report success.
taken() { echo "backup: $dest already exists or is being written; try again" >&2; exit 1; }
mkdir -p "$dest_root"
[ ! -e "$dest" ] || taken
mkdir "$work" 2>/dev/null || taken
trap 'rm -rf "$work"' EXIT

# 1. The database first: every file a stored row points to was written before the row said so.
pg_dump --format=custom --file="$work/database.dump" "$libpq_url"
pg_restore --list "$work/database.dump" >/dev/null

# 2. Then the files.
case "$storage_url" in
    file://*)
        folder="${storage_url#file://}"
        mkdir -p "$work/storage"
        if [ -d "$folder" ]; then cp -a "$folder/." "$work/storage/"; fi
        ;;
    s3://*)
        # shellcheck disable=SC2086  # the optional endpoint is two words
        aws s3 sync --only-show-errors ${S3_ENDPOINT_URL:+--endpoint-url "$S3_ENDPOINT_URL"} \
            "$storage_url" "$work/storage"
        ;;
    *) echo "backup: unsupported STORAGE_URL $storage_url" >&2; exit 2 ;;
esac

# 3. Checksums, so that a restore can tell a damaged copy.
(cd "$work" && find . -type f ! -name SHA256SUMS -exec sha256sum {} + > SHA256SUMS)
[ ! -e "$dest" ] || taken
mv "$work" "$dest"
trap - EXIT
echo "$dest"

#!/bin/sh
# Restore a backup made by infra/backup.sh: the database, then the files.
# Usage: infra/restore.sh BACKUP_DIR   (the portal-YYYYMMDDTHHMMSSZ folder)
#
# Before: stop web, worker and scheduler. Create an EMPTY database owned by the schema owner
# (`CREATE DATABASE portal OWNER portal;` — the owner role must exist). Empty the storage target.
# Environment
#   RESTORE_DATABASE_URL  a superuser connection to that empty database (rows are loaded with
#                         row-level security off, which only a superuser or BYPASSRLS role may do).
#   STORAGE_URL           where the files go back (file:///folder or s3://bucket/prefix; for s3://
#                         also S3_ENDPOINT_URL and the AWS_* credentials).
# After, as the owner (MIGRATION_DATABASE_URL), with the secrets put back in the environment:
#   flask --app wsgi db upgrade
#   flask --app wsgi tenants app-role portal_app --password-stdin
# then start web, worker and scheduler and check /readyz.
set -eu

backup="${1:?usage: infra/restore.sh BACKUP_DIR}"
db_url="${RESTORE_DATABASE_URL:?restore: set RESTORE_DATABASE_URL}"
storage_url="${STORAGE_URL:?restore: set STORAGE_URL}"
libpq_url=$(printf '%s' "$db_url" | sed 's|^postgresql+[a-z0-9]*://|postgresql://|')

# A damaged copy stops here, before anything is written. The folder must hold exactly the files
# SHA256SUMS lists, unchanged: `sha256sum --check` alone passes a SHA256SUMS cut short (it only
# warns about a broken line) and ignores files it does not list.
[ -f "$backup/SHA256SUMS" ] || { echo "restore: no $backup/SHA256SUMS" >&2; exit 1; }
sums=$(mktemp)
trap 'rm -f "$sums"' EXIT
(cd "$backup" && find . -type f ! -name SHA256SUMS -exec sha256sum {} + | LC_ALL=C sort > "$sums")
if ! LC_ALL=C sort "$backup/SHA256SUMS" | cmp -s - "$sums"; then
    (cd "$backup" && sha256sum --check --quiet --strict SHA256SUMS) || true  # names what differs
    echo "restore: $backup does not match its SHA256SUMS (damaged or incomplete); nothing was restored" >&2
    exit 1
fi

# Ownership is kept (ALTER … OWNER TO the owner); grants are not: `tenants app-role` sets them.
pg_restore --no-privileges --exit-on-error --single-transaction --dbname="$libpq_url" "$backup/database.dump"
# A restored database has no planner statistics until autovacuum gets to it; the dossier page reads
# its lists in one statement whose plan needs them (bench/README.md), so gather them now.
psql --quiet --no-psqlrc --dbname="$libpq_url" --command="ANALYZE"

case "$storage_url" in
    file://*)
        folder="${storage_url#file://}"
        mkdir -p "$folder"
        cp -a "$backup/storage/." "$folder/"
        ;;
    s3://*)
        # shellcheck disable=SC2086  # the optional endpoint is two words
        aws s3 sync --only-show-errors ${S3_ENDPOINT_URL:+--endpoint-url "$S3_ENDPOINT_URL"} \
            "$backup/storage" "$storage_url"
        ;;
    *) echo "restore: unsupported STORAGE_URL $storage_url" >&2; exit 2 ;;
esac
echo "restored $backup; now run \`flask --app wsgi db upgrade\` and \`flask --app wsgi tenants app-role\`"

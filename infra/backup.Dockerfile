# The backup and restore tools of the compose host (`docker compose --profile ops run --rm backup`):
# infra/backup.sh and infra/restore.sh with pg_dump/pg_restore of the server's major version (17,
# as in compose.yaml) and the AWS CLI for the S3 store. Nothing of the app: it needs no secret key.
FROM postgres:17-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends awscli \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/portal
COPY infra/backup.sh infra/restore.sh infra/

# The image's postgres user (uid 999): the backup folder on the host must be writable by it.
USER postgres
ENTRYPOINT ["infra/backup.sh"]
CMD ["/backups"]

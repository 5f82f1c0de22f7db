# syntax=docker/dockerfile:1
# The apus server image. The Swift toolchain builds the release binary; the runtime stage is the
# slim Swift image (the Swift and Foundation runtime libraries, no compiler) with the binary, run
# as an unprivileged user. Build: `docker build -t apus .`; run: `docker run -p 8080:8080 apus`.

ARG SWIFT_VERSION=6.3.1
ARG UBUNTU_RELEASE=noble

FROM swift:${SWIFT_VERSION}-${UBUNTU_RELEASE} AS build
WORKDIR /src
# The dependencies first, so this layer is reused while the manifest and the lock file stay the
# same (Package.resolved is copied when there is one).
COPY Package.* ./
RUN swift package resolve
COPY . .
RUN swift build -c release --product apus \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/apus" /out/apus

FROM swift:${SWIFT_VERSION}-${UBUNTU_RELEASE}-slim AS runtime
# CA certificates for S3, SMTP and webhooks over TLS; curl for the health check; time zones.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl tzdata \
 && rm -rf /var/lib/apt/lists/*
# A fixed numeric user (10001), so Kubernetes can check runAsNonRoot. The data dir and its
# objects folder exist and belong to it, so a volume mounted on either starts writable.
RUN groupadd --system --gid 10001 apus \
 && useradd --system --uid 10001 --gid apus --home-dir /var/lib/apus --no-create-home --shell /usr/sbin/nologin apus \
 && install -d -o apus -g apus -m 0750 /var/lib/apus /var/lib/apus/objects
COPY --from=build /out/apus /usr/local/bin/apus

LABEL org.opencontainers.image.title="apus" \
      org.opencontainers.image.description="A self-hosted backend platform: one binary, SQLite by default, PostgreSQL to scale out."

# In a container the server listens on every interface; logs are JSON lines.
ENV APUS_HOST=0.0.0.0 \
    APUS_PORT=8080 \
    APUS_DATA_DIR=/var/lib/apus \
    APUS_LOG_FORMAT=json
WORKDIR /var/lib/apus
USER 10001:10001
EXPOSE 8080

# Ready, not just alive: 503 while migrations are pending or while the node drains. A shell reads
# APUS_PORT when the check runs, so a port set at `docker run` is the one checked.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["/bin/sh", "-c", "curl -fsS -o /dev/null http://127.0.0.1:${APUS_PORT}/health/ready || exit 1"]

# SIGTERM drains: requests in flight finish within APUS_SHUTDOWN_GRACE, then the node exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["apus"]
CMD ["serve"]

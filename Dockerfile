# syntax=docker/dockerfile:1
#
# The fnhost container image: the `fnhost` binary on Debian slim, run as an unprivileged user.
#
#   docker build -t fnhost .
#   docker run --rm -p 8080:8080 -p 9000:9000 -v fnhost-state:/var/lib/fnhost \
#       -e FNHOST_ACCESS_KEY_ID=… -e FNHOST_SECRET_ACCESS_KEY=… fnhost
#
# One container keeps everything in its state volume (SQLite, the default); several share a
# PostgreSQL store (FNHOST_STORE=postgres://…) and a bucket volume, each with its own state
# volume. With no manifest the container is an upload-only host: functions arrive through the
# Lambda API on port 9000 (`fnhost deploy --endpoint http://HOST:9000`, boto3, the AWS CLI).
# Mount a manifest at /etc/fnhost/fnhost.toml to declare buckets, routes and settings;
# functions the manifest declares need their `.wasm` inside the container (mount it, or COPY
# it in an image built FROM this one). Kubernetes manifests: deploy/kubernetes/.
#
# Build arguments:
#   DEBIAN_RELEASE=bookworm   the Debian release of both stages (the binary links glibc, so the
#                             builder's release must not be newer than the runtime's)
#   SOURCE_RUNTIMES=no        `yes` adds python3, python3-venv, nodejs and npm from Debian, which
#                             fnhost needs to package python3.x / nodejsN.x source (it installs
#                             componentize-py and the npm tools from PyPI and npm into
#                             $FNHOST_TOOLS_DIR on first use, so the pod needs egress then).
#                             Bookworm's Node.js is 18 and JavaScript packaging needs 20 or
#                             later: use DEBIAN_RELEASE=trixie for it. Prebuilt `.wasm` uploads
#                             and manifest functions work without these.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS build
WORKDIR /src
# The whole workspace: cargo reads every member's Cargo.toml, and the binary embeds the
# packaging scripts (guest-sdk/), the WIT (wit/) and the console's assets. .dockerignore keeps
# target/ and local state out. The fnhost binary needs no wasm32 target: guests are only built
# for the tests.
COPY . .
# The target directory is a cache mount, so the binary is copied out in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p fnhost \
    && install -D -m 0755 target/release/fnhost /out/fnhost

FROM debian:${DEBIAN_RELEASE}-slim
ARG SOURCE_RUNTIMES=no
# Debian's package versions are not pinned: the archive keeps only the current one, so a pin
# breaks the build at the next security update.
# hadolint ignore=DL3008
RUN set -eu; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates tini; \
    if [ "$SOURCE_RUNTIMES" = yes ]; then \
        apt-get install -y --no-install-recommends python3 python3-venv nodejs npm; \
    fi; \
    rm -rf /var/lib/apt/lists/*; \
    groupadd --system --gid 10001 fnhost; \
    useradd --system --uid 10001 --gid 10001 --home-dir /var/cache/fnhost --shell /usr/sbin/nologin fnhost; \
    install -d -o fnhost -g fnhost -m 0700 /var/lib/fnhost /var/tmp/fnhost /var/cache/fnhost; \
    install -d -o fnhost -g fnhost -m 0755 /srv/buckets; \
    install -d -m 0755 /etc/fnhost

COPY --from=build /out/fnhost /usr/local/bin/fnhost

# Where fnhost keeps what it writes, all outside the image's read-only layers:
#   state: compiled artifacts, unpacked uploads, packages and (without FNHOST_STORE) the SQLite
#          database; one running host per directory;
#   tmp:   the invocations' /tmp files;
#   tools: the Python / JavaScript packaging tools and generic runtimes (SOURCE_RUNTIMES=yes),
#          also HOME, for pip's and npm's caches.
# Buckets: /srv/buckets is there for manifests to put them in (mount a volume on it).
# Both listeners on every interface: off loopback the admin listener refuses to start without
# FNHOST_ACCESS_KEY_ID / FNHOST_SECRET_ACCESS_KEY, and then takes only SigV4-signed requests.
ENV FNHOST_STATE_DIR=/var/lib/fnhost \
    FNHOST_TMP_DIR=/var/tmp/fnhost \
    FNHOST_TOOLS_DIR=/var/cache/fnhost \
    FNHOST_LISTEN=0.0.0.0:8080 \
    FNHOST_ADMIN=0.0.0.0:9000 \
    HOME=/var/cache/fnhost
VOLUME ["/var/lib/fnhost", "/var/tmp/fnhost", "/var/cache/fnhost"]
# fnhost looks for fnhost.toml in its working directory and the parents: a manifest mounted
# here is found without -f, and without one the host serves uploads only.
WORKDIR /etc/fnhost
USER 10001:10001
# 8080: HTTP routes, function URLs and GET /.well-known/fnhost/health; 9000: the Lambda API,
# /metrics and the console.
EXPOSE 8080 9000
# No HEALTHCHECK: the image has no HTTP client to run one with, and Kubernetes ignores it (its
# probes call the health endpoint, see deploy/kubernetes/deployment.yaml).
# tini as PID 1 reaps the processes packaging leaves behind (pip, npm) and passes SIGTERM on to
# fnhost, which drains. Stale functions are not built: the image has no compilers.
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/fnhost"]
CMD ["up", "--no-build"]

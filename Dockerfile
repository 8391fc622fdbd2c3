# syntax=docker/dockerfile:1
# Rapport's container image: `rapport api` by default, `rapport worker` as the other process.
#
#   docker build -t rapport:dev .
#   docker run -e RAPPORT_REDIS_URL=redis://redis:6379/0 -p 8000:8000 rapport:dev
#   docker run --no-healthcheck -e RAPPORT_REDIS_URL=redis://redis:6379/0 rapport:dev worker
#
# Two stages: the builder turns the repository into a wheel and installs it (with its locked
# dependencies, all from binary wheels) into a venv at /opt/rapport; the final stage is the slim
# Python base plus that venv, nothing else: no compiler, no pip cache, no source tree.
# tests/chart/test_dockerfile.py lints this file with hadolint and checks what it copies and runs.

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY requirements ./requirements
COPY pyproject.toml README.md ./
COPY service ./service
COPY connectors ./connectors
# Every package from the hash-checked locks: the build backend in a throwaway venv, the
# service's own dependencies (requirements/image.txt) and the wheel alone into /opt/rapport.
RUN python -m venv /opt/build \
    && /opt/build/bin/pip install --require-hashes -r requirements/run.txt \
    && /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /dist . \
    && python -m venv /opt/rapport \
    && /opt/rapport/bin/pip install --require-hashes -r requirements/image.txt \
    && /opt/rapport/bin/pip install --no-deps /dist/rapport_score-*.whl \
    && /opt/rapport/bin/rapport --help > /dev/null

FROM ${PYTHON_IMAGE} AS final
LABEL org.opencontainers.image.title="rapport" \
      org.opencontainers.image.description="Scores how genuine an account's social network is." \
      org.opencontainers.image.licenses="Apache-2.0"
# A fixed numeric user, so Kubernetes' runAsNonRoot can verify it without a passwd lookup.
RUN groupadd --system --gid 10001 rapport \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin rapport
COPY --from=builder /opt/rapport /opt/rapport
ENV PATH="/opt/rapport/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TMPDIR=/tmp
WORKDIR /tmp
USER 10001:10001
EXPOSE 8000
# Liveness of the API without curl: the image's own Python asks /healthz. Kubernetes ignores
# this and uses the chart's probes; for a worker container, run with --no-healthcheck.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["rapport"]
CMD ["api", "--host", "0.0.0.0", "--port", "8000"]

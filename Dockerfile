# Production image: gunicorn for the web, the same image for the Celery worker and beat.

# Build it with `make image` (it passes the version and the lock file's hash); the same
# commit builds the same packages, each checked against the SHA-256 in the lock file.

# Wheels are built in a stage of their own: every package of the lock file, downloaded
# and checked against its hash there (pip refuses any file whose hash is not listed), and
# pdqhash (the evidence files' perceptual hash) compiled from its checked source, so the
# compiler stays out of the image that runs.
FROM python:3.11-slim AS wheels
RUN apt-get update && apt-get install -y --no-install-recommends g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY requirements/runtime.txt ./
RUN pip wheel --no-cache-dir --require-hashes --no-deps --wheel-dir /wheels -r runtime.txt

FROM python:3.11-slim AS base

ARG VERSION=unknown
ARG LOCK_SHA256=unknown
LABEL org.opencontainers.image.title="institute-cases" \
      org.opencontainers.image.version="${VERSION}" \
      be.igvm-iefh.lock-sha256="${LOCK_SHA256}"
ENV APP_VERSION=${VERSION}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=institute.settings \
    STATIC_ROOT=/app/staticfiles \
    PRIVATE_STORAGE_ROOT=/data/private \
    PYTHONPATH=/app \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app
RUN groupadd --system app && useradd --system --gid app --home /app app

COPY pyproject.toml README.md ./
COPY requirements ./requirements
COPY institute ./institute
COPY cases ./cases
COPY intake ./intake
COPY reporting ./reporting
COPY templates ./templates
COPY locale ./locale
COPY manage.py ./
COPY --from=wheels /wheels /wheels
# Exactly the wheels of the lock file, built and checked above; nothing from an index.
RUN pip install --no-index --no-deps /wheels/*.whl && rm -rf /wheels

# Static files are collected at build time under the production settings (so whitenoise
# gets its manifest) with throwaway secrets: the real ones only ever exist in the
# running container's environment.
RUN DJANGO_ENV=production ALLOWED_HOSTS=build EMAIL_HOST=build \
    SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    RECEIPT_HASH_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
    FIELD_ENCRYPTION_KEYS="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    python manage.py collectstatic --noinput \
    && mkdir -p /data/private && chown -R app:app /data /app/staticfiles

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["gunicorn", "institute.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--access-logformat", "%(h)s %(m)s %(U)s %(s)s %(b)s %(L)s"]

# Production image: gunicorn for the web, the same image for the Celery worker and beat.

# Wheels are built in a stage of their own: pdqhash (the evidence files' perceptual hash)
# is compiled from source, and the compiler stays out of the image that runs.
FROM python:3.11-slim AS wheels
RUN apt-get update && apt-get install -y --no-install-recommends g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY pyproject.toml README.md ./
COPY institute ./institute
COPY cases ./cases
COPY intake ./intake
COPY reporting ./reporting
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim AS base

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
COPY institute ./institute
COPY cases ./cases
COPY intake ./intake
COPY reporting ./reporting
COPY templates ./templates
COPY locale ./locale
COPY manage.py ./
COPY --from=wheels /wheels /wheels
RUN pip install --no-index --find-links /wheels institute-cases && rm -rf /wheels

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

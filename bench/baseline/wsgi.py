"""WSGI entry point of the baseline (gunicorn bench.baseline.wsgi:application, run from
the project folder)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baseline.settings")

application = get_wsgi_application()

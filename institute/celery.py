"""The Celery application: broker and options come from Django settings (CELERY_*)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "institute.settings")

app = Celery("institute")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

"""WSGI entry point for gunicorn: ``gunicorn riskregistry.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskregistry.settings")

application = get_wsgi_application()

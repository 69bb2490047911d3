"""A real OpenID Connect provider for the single sign-on tests: django-oauth-toolkit with RS256 ID tokens, a groups
scope and claim, run in its own process (gunicorn) on a free port of 127.0.0.1 with its own SQLite database.
``tests/oidc.py`` starts it; nothing of riskregistry is imported here."""

"""Signing in beyond the password form: single sign-on with OpenID Connect and TOTP two-factor authentication."""

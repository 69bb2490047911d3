"""manage.py api_key_create --user NAME --scope read|read-write [--expires DAYS] [--name TEXT]

Prints the new key once, on its last line (a contract for scripts: DESIGN.md "Contracts"); only its prefix and
a hash are stored.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from riskregistry import services
from riskregistry.models import ApiKey


class Command(BaseCommand):
    help = "Create an API key for a user and print it (once, on the last line)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="The username the key acts as (its role applies).")
        parser.add_argument("--scope", required=True, choices=ApiKey.Scope.values)
        parser.add_argument("--expires", type=int, metavar="DAYS", help="Days until the key expires (default: never).")
        parser.add_argument("--name", default="", help="What the key is for (default: the user and scope).")

    def handle(self, *args, user: str, scope: str, expires: int | None, name: str, **options):
        try:
            owner = get_user_model().objects.get_by_natural_key(user)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {user!r}.") from None
        try:
            key, raw = services.api_key_create(owner=owner, scope=scope, name=name, expires_days=expires)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        expiry = f", expires {key.expiry_date:%Y-%m-%d %H:%M} UTC" if key.expiry_date else ", never expires"
        self.stderr.write(f"API key {key.prefix}… for {owner.get_username()} ({key.scope}{expiry}). Store it now:")
        self.stdout.write(raw)

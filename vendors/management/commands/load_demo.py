"""manage.py load_demo: build the demo portfolio (idempotent)."""

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from vendors.demo import DEFAULT_PATH, PortfolioError, load_portfolio
from vendors.services.demo import DEMO_PASSWORD, demo_portfolio_load, demo_users_create


class Command(BaseCommand):
    help = (
        "Load a realistic demo portfolio of vendors, products and the models behind them. Safe to re-run: "
        "existing rows are kept, missing ones added."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=DEFAULT_PATH, help="Portfolio TOML file.")
        parser.add_argument(
            "--with-users",
            action="store_true",
            help=f"Also create the demo sign-ins admin, analyst and viewer (password {DEMO_PASSWORD}). "
            "Refused when DEBUG is off.",
        )

    def handle(self, *args, file: Path, with_users: bool, **options):
        from django.conf import settings

        if with_users and not settings.DEBUG:
            raise CommandError("Demo users have a published password; they are not created when DEBUG=false.")
        try:
            portfolio = load_portfolio(file)
        except PortfolioError as error:
            raise CommandError(f"The portfolio file has problems; nothing was loaded.\n{error}") from None
        call_command("load_knowledge", verbosity=0)
        report = demo_portfolio_load(portfolio=portfolio)
        users = demo_users_create() if with_users else []
        if options["verbosity"] > 0:
            for line in report.lines():
                self.stdout.write(line)
            for username in users:
                self.stdout.write(f"demo user {username} / {DEMO_PASSWORD}")
            self.stdout.write(self.style.SUCCESS("Demo portfolio loaded."))

"""manage.py assessment_send --product ID --questionnaire KEY --due YYYY-MM-DD [--contact EMAIL]: send a
questionnaire about a product; the portal URL is the last line printed."""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessments import services
from vendors.models import Contact, Product


def _due(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--due must be a date as YYYY-MM-DD, not {text!r}.") from None


class Command(BaseCommand):
    help = (
        "Send a questionnaire (ai-mbom, ai-intake, ...) to a product's vendor: the assessment is created, its "
        "portal link emailed to the contacts, and the link printed as the last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--product", type=int, required=True, metavar="ID")
        parser.add_argument("--questionnaire", required=True, metavar="KEY")
        parser.add_argument("--due", required=True, metavar="YYYY-MM-DD")
        parser.add_argument(
            "--contact",
            action="append",
            default=[],
            metavar="EMAIL",
            help="A contact of the vendor (repeatable); one not on record is added to the vendor's contacts.",
        )
        parser.add_argument("--recurrence", choices=["quarterly", "yearly"], default="")

    def handle(self, *args, product: int, questionnaire: str, due: str, contact: list[str], recurrence: str, **opts):
        target = Product.objects.select_related("vendor").filter(pk=product).first()
        if target is None:
            raise CommandError(f"There is no product with id {product}.")
        due_date = _due(due)
        try:
            contacts = [self._contact(target, email) for email in contact]
            _assessment, url = services.assessment_send(
                product=target, questionnaire=questionnaire, due_date=due_date, contacts=contacts, recurrence=recurrence
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"Sent {questionnaire} about {target} to {len(contacts)} contact(s), due {due_date}.")
        self.stdout.write(url)

    def _contact(self, product: Product, email: str) -> Contact:
        from vendors.services import contact_create

        found = Contact.objects.filter(vendor=product.vendor, email__iexact=email.strip()).first()
        return found or contact_create(vendor=product.vendor, name=email.split("@")[0], email=email.strip())

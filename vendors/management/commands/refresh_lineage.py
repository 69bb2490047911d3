"""manage.py refresh_lineage [--all | --product ID]: re-resolve lineage from the hub, with a progress bar."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from vendors.models import LineageRefresh, Product
from vendors.selectors import knowledge_base_warning, problem_summary
from vendors.services import lineage


class Command(BaseCommand):
    help = "Re-resolve the lineage of every model in use (--all) or of one product's models (--product ID)."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="Every hub model used by an active product.")
        which.add_argument("--product", type=int, metavar="ID", help="The models of one product.")
        parser.add_argument(
            "--enqueue", action="store_true", help="Hand the refresh to the Celery workers instead of running it here."
        )

    def handle(self, *args, product: int | None, enqueue: bool, **options):
        target = None
        if product is not None:
            target = Product.objects.filter(pk=product).first()
            if target is None:
                raise CommandError(f"There is no product with id {product}.")
        scope = LineageRefresh.Scope.PRODUCT if target else LineageRefresh.Scope.PORTFOLIO
        if warning := knowledge_base_warning():
            self.stderr.write(self.style.ERROR(f"WARNING: {warning}"))
        if enqueue:
            refresh = lineage.lineage_refresh_request(scope=scope, product=target)
            self.stdout.write(f"Refresh {refresh.pk} queued for the workers.")
            return
        refresh = LineageRefresh.objects.create(scope=scope, product=target)
        quiet = options["verbosity"] == 0
        with tqdm(total=0, unit="repo", desc="Resolving lineage", disable=quiet, file=sys.stderr) as bar:

            def progress(done: int, known: int) -> None:
                bar.total = known
                bar.update(done - bar.n)

            refresh = lineage.lineage_refresh_run(refresh_id=refresh.pk, progress=progress)
        if not quiet:
            self.stdout.write(
                f"Refresh {refresh.pk} {refresh.get_status_display().lower()}: {refresh.nodes_done} repos fetched "
                f"({refresh.nodes_failed} could not be read in full), {refresh.changes} changes recorded. "
                f"Lineage problems: {problem_summary(refresh.problems)}."
                + (f" Note: {refresh.error}" if refresh.error else "")
            )

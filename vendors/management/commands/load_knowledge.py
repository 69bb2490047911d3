"""manage.py load_knowledge: load the curated publishers, hosts and closed models (idempotent).

``migrate`` already loads the shipped files; this command reloads them, or loads another folder (``--dir``).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vendors.knowledge import DEFAULT_DIR, KnowledgeBaseError, load_knowledge_base
from vendors.services.knowledge import knowledge_base_load


class Command(BaseCommand):
    help = "Load the knowledge base (publishers, hosts, closed API models) from its TOML files. Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir", type=Path, default=DEFAULT_DIR, help="Folder with publishers.toml, hosts.toml and "
            "closed_models.toml (default: the files shipped with riskregistry)."
        )  # fmt: skip
        parser.add_argument(
            "--replace-edits", action="store_true", help="Also restore the files' values on rows an admin edited "
            "(by default those are left alone and listed)."
        )  # fmt: skip

    def handle(self, *args, dir: Path, replace_edits: bool, **options):
        try:
            knowledge_base = load_knowledge_base(dir)
        except KnowledgeBaseError as error:
            raise CommandError(f"The knowledge base in {dir} has problems; nothing was loaded.\n{error}") from None
        report = knowledge_base_load(knowledge_base=knowledge_base, replace_edits=replace_edits)
        if options["verbosity"] > 0:
            for line in report.lines():
                self.stdout.write(line)
            self.stdout.write(self.style.SUCCESS("Knowledge base loaded."))

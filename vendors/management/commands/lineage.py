"""manage.py lineage REPO_ID [REPO_ID ...] [--json]: resolve, store and print lineage.

A contract other tools rely on (DESIGN.md "Contracts"): with --json, one id prints one object and several
print an array in the given order; without it, a readable tree.
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from vendors.models import AIModel, LineageRefresh
from vendors.selectors import LineageReport, knowledge_base_warning, lineage_reports
from vendors.services import lineage
from vendors.services.portfolio import ai_model_find
from vendors.validators import validate_hub_repo_id


class Command(BaseCommand):
    help = "Resolve the lineage of hub repos (stored as usual) and print it, as a tree or as JSON (--json)."

    def add_arguments(self, parser):
        parser.add_argument("repo_ids", nargs="+", metavar="REPO_ID", help="Hub repo ids, e.g. Qwen/Qwen2.5-7B.")
        parser.add_argument("--json", action="store_true", help="Print JSON (the stable contract for other tools).")

    def handle(self, *args, repo_ids: list[str], json: bool, **options):
        problems = []
        for repo_id in repo_ids:
            try:
                validate_hub_repo_id(repo_id)
            except ValidationError as error:
                problems.append(error.messages[0])
        if problems:
            raise CommandError("\n".join(problems))

        if warning := knowledge_base_warning():  # on stderr: the JSON on stdout stays a clean document
            self.stderr.write(self.style.ERROR(f"WARNING: {warning}"))
        refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.MODELS, model_names=list(repo_ids))
        lineage.lineage_refresh_run(refresh_id=refresh.pk)
        models = [ai_model_find(kind=AIModel.Kind.HUB, name=repo_id) for repo_id in repo_ids]
        reports = lineage_reports(models, subjects=repo_ids)
        if json:
            payload = [r.as_json() for r in reports]
            self.stdout.write(_dumps(payload[0] if len(payload) == 1 else payload))
        else:
            for report in reports:
                self.stdout.write(render_tree(report))


def _dumps(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _describe(node: dict) -> str:
    who = node["publisher"] or "unknown publisher"
    if node["country"]:
        who += f", {node['country']}"
    if node["repackager"]:
        who += ", re-packager"
    parts = [f"[{node['status']}]", who]
    if node["license"]:
        parts.append(f"licence {node['license']}")
    if node["redirected_from"]:
        parts.append(f"formerly {node['redirected_from']}")
    if node["reason"] and node["status"] != "resolved":
        parts.append(node["reason"])
    return " · ".join(parts)


def render_tree(report: LineageReport) -> str:
    """The lineage as an indented tree; a node met again (a shared ancestor, a cycle) is not expanded twice."""
    nodes = {n["id"]: n for n in report.nodes}
    parents: dict[str, list[dict]] = {}
    for edge in report.edges:
        parents.setdefault(edge["child"], []).append(edge)
    lines = [f"{report.subject}  {_describe(nodes[report.ancestry.start])}"]
    shown = {report.ancestry.start}

    def walk(node_id: str, prefix: str) -> None:
        edges = parents.get(node_id, [])
        for index, edge in enumerate(edges):
            last = index == len(edges) - 1
            parent = edge["parent"]
            again = parent in shown
            lines.append(
                f"{prefix}{'└─' if last else '├─'} {edge['relation']} of {parent}  "
                + ("(shown above)" if again else _describe(nodes[parent]))
                + f"  [{edge['source']}]"
            )
            if not again:
                shown.add(parent)
                walk(parent, prefix + ("   " if last else "│  "))

    walk(report.ancestry.start, "")
    lines.append(f"roots: {', '.join(report.roots) or 'none'}")
    lines.append(f"origin countries: {', '.join(report.countries) or 'unknown'}")
    for edge in report.inferred_edges:  # never drawn in the tree: the tree is what the metadata declares
        family = edge["evidence"].get("family")
        family_text = f", {family} family" if family and family != edge["parent"] else ""
        lines.append(
            f"inferred, not declared: {edge['child']} is probably {edge['relation']} of {edge['parent']}{family_text} "
            f"({edge['confidence']:.2f}, {edge['source']})"
        )
    if report.inferred_edges:
        lines.append(f"inferred origin countries: {', '.join(report.inferred_countries) or 'unknown'}")
    if report.complete:
        lines.append("lineage: complete")
    else:
        lines.append("lineage: incomplete")
        lines += [f"  - {reason}" for reason in report.ancestry.incomplete_reasons]
    return "\n".join(lines) + "\n"

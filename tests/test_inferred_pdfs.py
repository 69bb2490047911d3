"""Inferred parents in the PDFs. Reports: each usage lists the parents inferred for the models of its chains,
labelled "inferred, not declared" with the confidence and the source (escaped), the lineage diagram draws them
dashed, and changes to inferred parents are listed with the supply-chain changes. Attestation requests: the lineage
claim says the parent is inferred, not declared, with its confidence, for the vendor to confirm or correct."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from assessments import services as assessment_services
from assessments.attestation import ClaimKind, claim_list, snapshot_from_json
from assessments.documents import attestation_request_html, attestation_request_pdf
from reports import render, selectors, services
from reports.models import Report
from reports.periods import Quarter
from tests import factories
from tests.fakehub import make_silent
from vendors.models import ChangeEvent, InferredEdge, LineageRefresh

pytestmark = pytest.mark.django_db

HOSTILE_FAMILY = '<b onmouseover="x()">Qwen</b> & co'


@pytest.fixture
def silent_usage(fake_hub, knowledge):
    """A vendor's product on a repo whose metadata names no parent, inferred from its config to be a fine-tune of
    Qwen2.5-7B-Instruct; the stored family is made hostile, as text from elsewhere could be."""
    from vendors.services import lineage

    fake_hub.add_repo(make_silent("acme-labs/silent-7b"))
    usage = factories.ModelUsageFactory(
        model__name="acme-labs/silent-7b", product__name="Contract copilot", product__vendor__name="Northwind AI"
    )
    refresh = LineageRefresh.objects.create(scope="models", model_names=["Qwen/Qwen2.5-7B-Instruct", usage.model.name])
    lineage.lineage_refresh_run(refresh_id=refresh.pk)
    for edge in InferredEdge.objects.filter(child=usage.model):
        edge.family, edge.evidence = HOSTILE_FAMILY, {**edge.evidence, "family": HOSTILE_FAMILY}
        edge.save(update_fields=["family", "evidence"])
    assessment_services.ratings_refresh()
    return usage


def _figures(usage, as_of=None):
    as_of = as_of or timezone.now()
    return selectors.portfolio_report(
        Quarter.containing(as_of), as_of=as_of, to_date=True, vendor_id=usage.product.vendor_id
    )


def test_the_vendor_report_labels_inferred_parents_with_their_confidence_and_escapes_them(silent_usage, caplog):
    caplog.set_level("WARNING", logger="weasyprint")
    edge = InferredEdge.objects.get(child=silent_usage.model)
    figures = _figures(silent_usage)
    [row] = figures.vendors[0].products[0].usages
    [inferred] = row.inferred
    assert (inferred.child, inferred.parent, inferred.source) == (
        "acme-labs/silent-7b",
        "Qwen/Qwen2.5-7B-Instruct",
        "inferred:config",
    )
    assert row.chains == (("acme-labs/silent-7b",),)  # the declared chains are unchanged

    now = timezone.now()
    html = render.report_html(figures, generated_at=now, template=services.VENDOR_TEMPLATE)
    assert "Inferred, not declared" in html
    assert HOSTILE_FAMILY not in html and "&lt;b onmouseover=&quot;x()&quot;&gt;Qwen&lt;/b&gt; &amp; co family" in html
    # The diagram's shapes are SVG and its labels HTML laid over them (reports.diagram_html).
    start = html.index('<div class="diagram-figure"')
    diagram = html[start : html.index("</div>", html.index("</svg>", start))]
    assert "stroke-dasharray" in diagram and "inferred from config, not declared" in diagram
    assert f"probably finetune ({edge.confidence:.2f})" in diagram

    period = services.Period(Quarter.containing(now), now, True)
    pdf = services.report_pdf(
        kind=Report.Kind.VENDOR, period=period, vendor=silent_usage.product.vendor, generated_at=now
    )
    # Compared without whitespace: the PDF's lines break inside long ids.
    text = "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Inferred,notdeclaredacme-labs/silent-7bprobablyderivesfromQwen/Qwen2.5-7B-Instruct" in text
    assert f"finetune,confidence{edge.confidence:.2f},fromconfig.json)" in text
    assert '<bonmouseover="x()">Qwen</b>&cofamily' in text  # shown as text, never as markup
    assert "inferredfromconfig,notdeclaredprobablyfinetune" in text  # the diagram
    assert not [r for r in caplog.records if r.name.startswith("weasyprint") and r.levelname in ("WARNING", "ERROR")]


def test_an_inference_made_after_the_reports_moment_is_not_shown_and_inferred_changes_are_supply_chain_changes(
    silent_usage,
):
    now = timezone.now()
    [row] = _figures(silent_usage, as_of=now).vendors[0].products[0].usages
    assert len(row.inferred) == 1
    # Inferred after the report's moment (a later refresh): not what stood then.
    InferredEdge.objects.filter(child=silent_usage.model).update(observed_at=now + timedelta(minutes=5))
    [row] = _figures(silent_usage, as_of=now).vendors[0].products[0].usages
    assert row.inferred == ()

    event = ChangeEvent.objects.create(
        kind=ChangeEvent.Kind.INFERRED_PARENT_CHANGED,
        model=silent_usage.model,
        summary="acme-labs/silent-7b's inferred parent changed; inferred, not declared",
        occurred_at=timezone.now(),
    )
    figures = _figures(silent_usage)
    assert event in figures.supply_chain_changes
    html = render.report_html(figures, generated_at=timezone.now(), template=services.VENDOR_TEMPLATE)
    assert "Inferred parent changed (not declared)" in html


def test_the_attestation_request_asks_the_vendor_about_the_inferred_parent(silent_usage):
    edge = InferredEdge.objects.get(child=silent_usage.model)
    request = assessment_services.attestation_request_create(
        vendor=silent_usage.product.vendor, deadline=timezone.now().date() + timedelta(days=10)
    )
    [lineage_claim] = [c for c in claim_list(snapshot_from_json(request.claims)) if c.kind == ClaimKind.LINEAGE]
    assert lineage_claim.text.startswith("acme-labs/silent-7b has no base model on record")
    assert f"inferred, not declared: probably Qwen/Qwen2.5-7B-Instruct, {HOSTILE_FAMILY} family" in lineage_claim.text
    assert f"(finetune, {edge.confidence:.2f}, inferred:config)" in lineage_claim.text
    assert "&lt;b onmouseover" in attestation_request_html(request)  # the hostile family, as text
    assert HOSTILE_FAMILY not in attestation_request_html(request)
    text = "".join(
        "".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(attestation_request_pdf(request))).pages
    )
    assert "inferred,notdeclared:probablyQwen/Qwen2.5-7B-Instruct" in text
    assert f"(finetune,{edge.confidence:.2f},inferred:config)" in text


def test_reports_count_inferred_origins_apart_from_the_declared_ones(silent_usage, caplog):
    caplog.set_level("WARNING", logger="weasyprint")
    edge = InferredEdge.objects.get(child=silent_usage.model)
    now = timezone.now()
    figures = selectors.portfolio_report(Quarter.containing(now), as_of=now, to_date=True)
    # The silent repo's own publisher is not known: no declared origin. CN is reached only through the inferred
    # parent (Qwen, Alibaba Cloud), so it is counted apart, never in the declared counts.
    assert "CN" not in [code for code, _, _ in figures.by_country]
    [row] = figures.inferred_by_country
    assert (row.code, row.name, row.products, row.not_declared) == ("CN", "China", 1, 1)
    assert row.confidence == round(edge.confidence, 2)

    html = render.report_html(figures, generated_at=now, template=services.QUARTERLY_TEMPLATE)
    assert "Origin countries inferred, not declared" in html
    assert "Products by origin country inferred, not declared" in html  # its own chart

    period = services.Period(Quarter.containing(now), now, True)
    pdf = services.report_pdf(kind=Report.Kind.QUARTERLY, period=period, generated_at=now)
    text = "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)
    assert f"Mostcommonorigininferred,notdeclared:China(1product,confidenceupto{edge.confidence:.2f})" in text
    assert f"China(CN)inferred,notdeclared11{edge.confidence:.2f}" in text
    assert "Nooriginisknownyet.Origincountriesinferred,notdeclared" in text  # no declared origin, said as before
    vendor_pdf = services.report_pdf(
        kind=Report.Kind.VENDOR, period=period, vendor=silent_usage.product.vendor, generated_at=now
    )
    vendor_text = "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(vendor_pdf)).pages)
    assert f"China(CN)inferred,notdeclared11{edge.confidence:.2f}" in vendor_text
    assert not [r for r in caplog.records if r.name.startswith("weasyprint") and r.levelname in ("WARNING", "ERROR")]


def test_a_past_report_shows_an_inferred_parent_retired_since(silent_usage):
    now = timezone.now()
    InferredEdge.objects.filter(child=silent_usage.model).update(
        retired_at=now + timedelta(minutes=5), retired_reason="not_inferred"
    )
    assert not InferredEdge.objects.filter(child=silent_usage.model).exists()  # retired: out of the current lineage
    [row] = _figures(silent_usage, as_of=now).vendors[0].products[0].usages
    assert [inferred.parent for inferred in row.inferred] == ["Qwen/Qwen2.5-7B-Instruct"]  # it stood then
    [row] = _figures(silent_usage, as_of=now + timedelta(minutes=10)).vendors[0].products[0].usages
    assert row.inferred == ()

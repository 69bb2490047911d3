"""Questionnaires and attestations in the reports: the figures as they stood at a moment (a past quarter keeps
its figures), and the section that shows them instead of "not collected yet"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from assessments import services
from assessments.attestation import Response, claim_list, snapshot_from_json
from assessments.selectors.collection import collection_as_of
from reports import render, selectors
from reports import services as report_services
from reports.periods import Quarter
from tests import factories
from tests.test_attestations import attestation_files  # noqa: F401 (the fixture: signed PDFs in tmp_path)

pytestmark = pytest.mark.django_db


def _status(figures, status: str) -> int:
    return next(n for value, _, n in figures.by_status if value == status)


def test_collection_figures_are_what_stood_at_each_moment(attestation_files, analyst):  # noqa: F811
    usage = factories.ModelUsageFactory(product__name="Contract copilot")
    product, vendor = usage.product, usage.product.vendor
    start = timezone.now() - dt.timedelta(days=1)
    before_anything = timezone.now()

    assessment, _url = services.assessment_send(
        product=product, questionnaire="ai-intake", due_date=timezone.now().date() + dt.timedelta(days=20), by=analyst
    )
    after_sending = timezone.now()
    request = services.attestation_request_create(vendor=vendor, deadline=timezone.now().date() + dt.timedelta(days=10))
    after_asking = timezone.now()
    claims = claim_list(snapshot_from_json(request.claims))
    services.assessment_cancel(assessment=assessment, note="Replaced by the yearly round.", by=analyst)
    signing = (timezone.now() + dt.timedelta(seconds=2)).replace(microsecond=0)  # signatures keep whole seconds
    attestation = services.attestation_sign(
        request=request,
        responses={c.id: Response(c.id, confirmed=True) for c in claims},
        name="Dana",
        title="CISO",
        now=signing,
    )
    now = signing + dt.timedelta(seconds=1)

    nothing = collection_as_of(start, before_anything)
    assert not nothing.collected and nothing.sent == 0 and nothing.requested == 0

    sent = collection_as_of(start, after_sending)
    assert sent.collected and sent.sent == 1 and _status(sent, "sent") == 1
    assert sent.requested == 0 and sent.valid == 0 and sent.awaiting == 0

    asked = collection_as_of(start, after_asking)
    assert asked.requested == 1 and asked.awaiting == 1 and asked.awaiting_overdue == 0 and asked.valid == 0

    today = collection_as_of(start, now)
    assert today.sent == 1 and _status(today, "sent") == 0  # cancelled since: no longer counted
    assert today.signed == 1 and today.valid == 1 and today.vendors_attested == 1 and today.awaiting == 0

    # Had it not been cancelled, the assessment would be overdue after its due date: the moment decides.
    later = collection_as_of(start, after_sending + dt.timedelta(days=25))
    assert later.overdue == 0 and _status(later, "sent") == 0
    other = collection_as_of(start, after_sending + dt.timedelta(days=25), product_ids=[])
    assert other.sent == 0  # nothing of another vendor's products leaks into a vendor report
    assert collection_as_of(start, after_asking + dt.timedelta(days=11)).valid == 1

    expired = collection_as_of(start, attestation.expires_at + dt.timedelta(seconds=1))
    assert expired.valid == 0 and expired.expired == 1 and expired.vendors_attested == 0


def test_an_open_assessment_past_its_due_date_is_overdue(analyst):
    product = factories.ProductFactory()
    services.assessment_send(
        product=product, questionnaire="ai-intake", due_date=timezone.now().date() + dt.timedelta(days=5), by=analyst
    )
    start = timezone.now() - dt.timedelta(days=1)
    assert collection_as_of(start, timezone.now()).overdue == 0
    assert collection_as_of(start, timezone.now() + dt.timedelta(days=6)).overdue == 1


def test_the_reports_show_the_collection_instead_of_not_collected(attestation_files, analyst):  # noqa: F811
    usage = factories.ModelUsageFactory(product__name="Contract copilot")
    now = timezone.now()
    quarter = Quarter.containing(now)
    html = render.report_html(
        selectors.portfolio_report(quarter, as_of=now, to_date=True),
        generated_at=now,
        template=report_services.QUARTERLY_TEMPLATE,
    )
    assert "Not collected yet" in html

    request = services.attestation_request_create(
        vendor=usage.product.vendor, deadline=now.date() + dt.timedelta(days=10), by=analyst
    )
    claims = claim_list(snapshot_from_json(request.claims))
    services.attestation_sign(
        request=request, responses={c.id: Response(c.id, confirmed=True) for c in claims}, name="Dana", title="CISO"
    )
    now = timezone.now()
    for vendor_id, template in (
        (None, report_services.QUARTERLY_TEMPLATE),
        (usage.product.vendor_id, report_services.VENDOR_TEMPLATE),
    ):
        figures = selectors.portfolio_report(quarter, as_of=now, to_date=True, vendor_id=vendor_id)
        html = render.report_html(figures, generated_at=now, template=template)
        section = html[html.index('id="questionnaires"') :]
        assert "Not collected yet" not in section
        assert '<td>Valid (signed, not expired)</td><td class="num">1</td>' in section
        assert '<td>Vendors with a valid attestation</td><td class="num">1</td>' in section

"""Quarterly and vendor PDF reports: periods and the actions chosen (pure, table-driven); the PDF read back with
pypdf (contents with page numbers, running footers, metadata, tagged); the same figures as the dashboard; a past
quarter's figures unchanged by later data; hostile vendor and hub text escaped with nothing fetched; the Report
records (kept, never overwritten or deleted), the commands, the pages and the schedule."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import Truncator
from pypdf import PdfReader

from assessments import selectors as assessment_selectors
from assessments import services as assessment_services
from assessments.models import Finding, RiskRating
from reports import document, layout, render, selectors, services
from reports.models import Report, ReportRecordsAreKept
from reports.periods import Quarter
from riskregistry.pdf import PdfMetadata
from tests import factories
from tests.test_pdf import local_server  # noqa: F401  (a fixture)
from vendors.models import ChangeEvent, LineageRefresh, Product, Vendor

QWEN_GGUF = "northwind-ai/contract-copilot-7b-GGUF"  # → a fine-tune → Qwen/Qwen2.5-7B (CN)
GPT_OSS = "openai/gpt-oss-20b"


# ---- pure: periods and actions --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "code", "start", "end"),
    [
        ("2026Q4", "2026Q4", datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        ("2026-q1", "2026Q1", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)),
        (" 2025Q3 ", "2025Q3", datetime(2025, 7, 1, tzinfo=UTC), datetime(2025, 10, 1, tzinfo=UTC)),
    ],
)
def test_quarters_parse_and_bound_in_utc(text, code, start, end):
    quarter = Quarter.parse(text)
    assert (quarter.code, quarter.start, quarter.end) == (code, start, end)
    assert quarter.last_instant == end - timedelta(microseconds=1)
    assert Quarter.containing(quarter.last_instant) == quarter and Quarter.containing(end) == quarter.next
    assert quarter.next.previous == quarter


@pytest.mark.parametrize("text", ["", "2026", "2026Q5", "2026Q0", "Q4 2026", "2026Q4; DROP", "x" * 10_000])
def test_anything_else_is_not_a_quarter(text):
    with pytest.raises(ValueError, match="not a quarter"):
        Quarter.parse(text)


def _signals(**changes) -> layout.Signals:
    base = {
        "critical": [],
        "high": 0,
        "high_previous": 0,
        "critical_previous": 0,
        "overdue": 0,
        "open": 0,
        "concern_products": [],
        "unacknowledged_changes": 0,
        "unrated": 0,
    }
    return layout.Signals(**{**base, **changes})


@pytest.mark.parametrize(
    ("signals", "titles"),
    [
        (_signals(), ["Keep the cadence"]),
        (
            _signals(critical=["A", "B"], overdue=3, open=5, concern_products=["A"], unrated=2),
            ["Decide on 2 critical products", "Clear 3 overdue findings", "Reduce dependence on countries of concern"],
        ),
        (
            _signals(high=4, high_previous=1, unacknowledged_changes=1, unrated=1),
            ["Review the rise in high-risk products", "Review 1 supply-chain change", "Rate 1 product not rated yet"],
        ),
        (_signals(critical=["A"], high=1, high_previous=1), ["Decide on 1 critical product"]),
    ],
)
def test_the_three_things_to_act_on_come_most_urgent_first(signals, titles):
    assert [action.title for action in layout.actions(signals)] == titles


def test_changes_are_printed_with_their_sign():
    assert [layout.signed(n) for n in (3, 0, -2)] == ["+3", "0", "\u22122"]


# ---- the portfolio ----------------------------------------------------------------------------------------------
@pytest.fixture
def portfolio(db, fake_hub, knowledge):
    from vendors.services import lineage

    on_qwen = factories.ModelUsageFactory(
        model__name=QWEN_GGUF, product__name="Contract copilot", product__vendor__name="Northwind Legal AI"
    )
    on_openai = factories.ModelUsageFactory(
        model__name=GPT_OSS, product__name="Helpdesk bot", product__vendor__name="Helio Health"
    )
    refresh = LineageRefresh.objects.create(scope="models", model_names=[QWEN_GGUF, GPT_OSS])
    lineage.lineage_refresh_run(refresh_id=refresh.pk)
    assessment_services.ratings_refresh()
    return {"qwen": on_qwen, "openai": on_openai}


def _pdf_text(pdf: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, [page.extract_text() for page in reader.pages]


def _quarterly(as_of: datetime, *, to_date: bool = True) -> bytes:
    quarter = Quarter.containing(as_of)
    period = services.Period(quarter, as_of, to_date)
    return services.report_pdf(kind=Report.Kind.QUARTERLY, period=period, generated_at=as_of)


def _summary_figures(pages: list[str]) -> dict[str, int]:
    """The executive summary's figures, read from the PDF's text."""
    summary = next(text for text in pages if text.lstrip().startswith("Executive summary"))
    figures = {}
    for label in ("Critical", "High", "Moderate", "Low", "Not rated"):
        match = re.search(rf"^{label} (\d+) (\d+) ", summary, re.MULTILINE)
        assert match, (label, summary)
        figures[label.lower()] = int(match[1])
    figures["overdue"] = int(re.search(r"(\d+)\s*findings overdue \((\d+)\s*open\)", summary)[1])
    figures["open"] = int(re.search(r"findings overdue \((\d+)\s*open\)", summary)[1])
    return figures


@pytest.mark.django_db
def test_the_quarterly_report_reads_like_a_report(portfolio, caplog):
    caplog.set_level("WARNING", logger="weasyprint")
    now = timezone.now()
    reader, pages = _pdf_text(_quarterly(now))
    total = len(reader.pages)

    assert reader.metadata.title == f"AI supply-chain risk report, {Quarter.containing(now).label}"
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # a tagged PDF
    assert "AI supply-chain risk" in pages[0] and "Quarter to date" in pages[0]
    assert f"{now:%-d %B %Y, %H:%M:%S} UTC" in pages[0]  # the data's time, on the cover
    for number, text in enumerate(pages[1:], start=2):
        assert f"Page {number} of {total}" in text
        assert "Figures as of" in text and "(quarter to date)" in text
    # The contents' page numbers lead to the sections.
    rows = re.findall(r"^(.+?) \.{5,}\s*(\d+)$", pages[1], re.MULTILINE)
    assert len(rows) >= 9
    for title, number in rows:
        assert title.strip() in pages[int(number) - 1], title
    assert "Contract copilot" in pages[int(dict(rows)["Products rated high or critical"]) - 1]
    assert "Qwen/Qwen2.5-7B" in "".join(pages)  # the chain to the root
    assert "Not collected yet" in "".join(pages)
    assert not [r for r in caplog.records if r.name.startswith("weasyprint") and r.levelname in ("WARNING", "ERROR")]


@pytest.mark.django_db
def test_past_the_riskiest_products_the_rest_are_one_row_each_with_their_main_reason(portfolio, monkeypatch):
    """A large portfolio's report stays readable: the riskiest products in full, the others in a table."""
    now = timezone.now()
    figures = selectors.portfolio_report(Quarter.containing(now), as_of=now, to_date=True)
    high = figures.high_critical
    assert high, "the portfolio has a product rated high or critical"
    monkeypatch.setattr(render, "DETAILED_PRODUCTS", 0)
    html = render.report_html(figures, generated_at=now, template=services.QUARTERLY_TEMPLATE)
    more = html[html.index('id="high-risk-more"') : html.index('id="changes"')]
    assert f"The other {len(high)} product" in more
    for section in high:
        assert section.risk.name in more
        assert escape(Truncator(section.main_reason["reason"]).chars(110)) in more
    assert '<div class="product">' not in html[: html.index('id="changes"')]  # nothing shown in full


@pytest.mark.django_db
def test_the_report_and_the_dashboard_show_the_same_figures(portfolio, client, viewer):
    finding = Finding.objects.first()
    finding.due_date = timezone.now().date() - timedelta(days=1)
    finding.save()  # with its history, as the findings workflow does
    client.force_login(viewer)
    dashboard = client.get("/").content.decode()
    _, pages = _pdf_text(_quarterly(timezone.now()))
    figures = _summary_figures(pages)

    on_page = assessment_selectors.dashboard()
    assert figures["open"] == on_page.findings_open and figures["overdue"] == on_page.findings_overdue == 1
    assert f'<span class="stat text-danger">{figures["overdue"]}</span>' in dashboard
    assert f'<span class="stat">{figures["open"]}</span> <span class="text-body-secondary">open</span>' in dashboard
    for tier in ("critical", "high", "moderate", "low"):
        assert figures[tier] == on_page.products_by_tier[tier], tier
    # The country and root model figures: the same rows as the dashboard's charts.
    text = "".join(pages)
    for code, n in on_page.by_country:
        assert re.search(rf"\({code}\) {n}\b", text), code
    for model, n in on_page.by_root:
        assert f"{model.name} {n}" in text


@pytest.mark.django_db
def test_a_past_moment_reports_the_same_figures_whatever_happens_later(portfolio, analyst):
    then = timezone.now()
    quarter = Quarter.containing(then)
    before = selectors.portfolio_report(quarter, as_of=then, to_date=False)
    html_before = document.quarterly_html(before, generated_at=then)

    finding = Finding.objects.filter(status=Finding.Status.OPEN).first()
    factories.finding_accept_approved(
        finding=finding,
        justification="Contract clause 12: on-premises only",
        accepted_until=then.date() + timedelta(days=5),
        by=analyst,
    )
    product = portfolio["qwen"].product
    product.status = Product.Status.RETIRED
    product.save()
    RiskRating.objects.filter(usage=portfolio["openai"], is_current=True).update(is_current=False)
    RiskRating.objects.create(usage=portfolio["openai"], score=91, tier="critical", policy_version=1)
    assessment_services.ratings_refresh()
    ChangeEvent.objects.create(
        kind=ChangeEvent.Kind.LICENSE_CHANGED, model=portfolio["openai"].model, summary="later", occurred_at=then
    )
    factories.ModelUsageFactory(product__name="Arrived later")

    after = selectors.portfolio_report(quarter, as_of=then, to_date=False)
    html_after = document.quarterly_html(after, generated_at=then)
    assert (html_after.body, html_after.vendors) == (html_before.body, html_before.vendors)
    now = selectors.portfolio_report(quarter, as_of=timezone.now(), to_date=True)
    assert [r.count for r in now.tiers] != [r.count for r in before.tiers] or now.products_total != 2


HOSTILE = [
    '<img src="http://127.0.0.1:{port}/img">',
    '<link rel="attachment" href="file:///etc/passwd">',
    "<style>@import url(http://127.0.0.1:{port}/css);</style>",
    '<a href="file:///etc/shadow">x</a>\u202egnp.exe',
    "\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd",
]


@pytest.mark.django_db
def test_hostile_vendor_and_hub_text_is_escaped_and_nothing_is_fetched(portfolio, local_server):  # noqa: F811
    url, hits = local_server
    port = url.rsplit(":", 1)[1]
    names = [text.format(port=port) for text in HOSTILE]
    vendor = portfolio["qwen"].product.vendor
    vendor.name, vendor.description = names[0], "x" * 1_000_000
    vendor.save()
    product = portfolio["qwen"].product
    product.name, product.description = names[1], "\u202e" * 1_000_000
    product.save()
    factories.ModelUsageFactory(product=product, model__kind="declared", model__name=names[2])
    ChangeEvent.objects.create(
        kind=ChangeEvent.Kind.MODEL_SWAPPED, product=product, summary=names[3], occurred_at=timezone.now()
    )
    other = portfolio["openai"].product
    other.name = names[4] + "A" * (200 - len(names[4]))
    other.save()
    assessment_services.ratings_refresh()

    now = timezone.now()
    figures = selectors.portfolio_report(Quarter.containing(now), as_of=now, to_date=True)
    parts: list[tuple[str, bool]] = []
    metadata = PdfMetadata(title="t", created=now)
    pdf = document.quarterly_pdf(figures, generated_at=now, metadata=metadata, parts_html=parts)  # raises if asked
    html = "".join(source for source, _ in parts)
    assert len(parts) == 4  # the chapters, the vendors, the front (its contents name them), the page numbers
    for name in names[:4]:
        assert name not in html
    _, pages = _pdf_text(pdf)
    text = "".join(pages)
    assert hits == []
    assert '<img src="http://127.0.0.1' in text and '<link rel="attachment"' in text  # shown, as text
    assert "\u0645\u0631\u062d\u0628\u0627" in text or "\u0627\u0628\u062d\u0631\u0645" in text


# ---- records, commands, pages, schedule ------------------------------------------------------------------------
@pytest.mark.django_db
def test_reports_are_kept_and_never_deleted(portfolio, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    out = tmp_path / "q.pdf"
    call_command("quarterly_report", "--out", str(out), stdout=(stdout := io.StringIO()), stderr=io.StringIO())
    assert stdout.getvalue().strip().splitlines()[-1] == str(out)
    report = Report.objects.get()
    assert report.is_ready and report.to_date and report.requested_by_name == "command line"
    assert out.read_bytes() == report.file.read() and report.size == len(out.read_bytes())
    import hashlib

    assert hashlib.sha256(out.read_bytes()).hexdigest() == report.sha256

    call_command("quarterly_report", "--out", str(out), stdout=io.StringIO(), stderr=io.StringIO())
    first, second = Report.objects.order_by("pk")
    assert first.file.name != second.file.name and first.file.read()  # a new report, the old file kept
    with pytest.raises(ReportRecordsAreKept):
        first.delete()
    with pytest.raises(ReportRecordsAreKept):
        Report.objects.all().delete()
    services.report_generate(report_id=first.pk)  # a ready report is left as it is
    assert Report.objects.get(pk=first.pk).sha256 == first.sha256

    vendor = portfolio["qwen"].product.vendor
    moment = timezone.now()
    ChangeEvent.objects.create(
        kind=ChangeEvent.Kind.NEW_SHA, model=portfolio["qwen"].model, summary="new revision of ours", occurred_at=moment
    )
    ChangeEvent.objects.create(  # another vendor's product on the same model: not this vendor's business
        kind=ChangeEvent.Kind.USAGE_ADDED,
        model=portfolio["qwen"].model,
        product=portfolio["openai"].product,
        summary="Helio Health uses it too",
        occurred_at=moment,
    )
    call_command(
        "vendor_report", "--vendor", str(vendor.pk), "--out", str(out), stdout=io.StringIO(), stderr=io.StringIO()
    )
    _, pages = _pdf_text(out.read_bytes())
    assert "Northwind Legal AI" in pages[0] and "Helio Health" not in "".join(pages)  # not even its changes
    assert "new revision of ours" in "".join(pages)
    with pytest.raises(ProtectedError):
        Vendor.objects.filter(pk=vendor.pk).delete()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["quarterly_report", "--quarter", "2026Q7"], "not a quarter"),
        (["quarterly_report", "--quarter", "2999Q1"], "has not started"),
        (["vendor_report", "--vendor", "999999", "--out", "x.pdf"], "no vendor with id 999999"),
    ],
)
def test_report_commands_refuse_bad_input_clearly(args, message):
    with pytest.raises(CommandError, match=message):
        call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_a_finished_quarter_is_reported_at_its_end():
    period = services.report_period(Quarter(2026, 3), now=datetime(2026, 12, 5, tzinfo=UTC))
    assert (period.as_of, period.to_date) == (datetime(2026, 9, 30, 23, 59, 59, 999999, tzinfo=UTC), False)
    current = services.report_period(now=datetime(2026, 12, 5, tzinfo=UTC))
    assert (current.quarter.code, current.to_date) == ("2026Q4", True)


@pytest.mark.django_db
def test_the_schedule_reports_the_quarter_that_ended_once_and_emails_it(
    settings, tmp_path, django_capture_on_commit_callbacks, mailoutbox
):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORTS_EMAIL_TO = ["cio@example.com", "board@example.com"]
    with django_capture_on_commit_callbacks(execute=True):
        report = services.quarterly_reports_due(now=datetime(2027, 1, 1, 0, 30, tzinfo=UTC))
    assert (report.period, report.to_date, report.requested_by_name) == ("2026Q4", False, "schedule")
    report = Report.objects.get()
    assert report.is_ready and report.as_of == datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    [mail] = mailoutbox
    assert mail.to == ["cio@example.com", "board@example.com"] and report.sha256 in mail.body
    [(name, content, mimetype)] = mail.attachments
    assert (name, mimetype) == (report.download_name, "application/pdf") and content == report.file.open("rb").read()
    assert services.quarterly_reports_due(now=datetime(2027, 1, 1, 1, 30, tzinfo=UTC)) is None
    assert "reports.tasks.quarterly_reports_due" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}


@pytest.mark.django_db
def test_the_reports_page_asks_lists_filters_and_downloads(
    analyst_client, viewer, client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    vendor = factories.VendorFactory(name="Acme AI")
    factories.ProductFactory(vendor=vendor)
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post(
            "/reports/request/",
            {"kind": "vendor", "quarter": Quarter.containing(timezone.now()).code, "vendor": vendor.pk},
        )
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/{report.pk}/"
    assert report.is_ready and report.requested_by_name == "ana-analyst"
    page = analyst_client.get(f"/reports/{report.pk}/").content.decode()
    assert report.sha256 in page and "Download the PDF" in page
    download = analyst_client.get(f"/reports/{report.pk}/download/")
    assert download["Content-Type"] == "application/pdf" and b"".join(download.streaming_content)[:5] == b"%PDF-"
    assert analyst_client.get(f"/reports/{report.pk}/status/").json()["status"] == "ready"

    row = '<span class="small text-body-secondary">Acme AI</span>'
    assert row in analyst_client.get("/reports/?kind=vendor").content.decode()
    assert row not in analyst_client.get("/reports/?kind=quarterly").content.decode()
    assert (
        row
        in analyst_client.get(
            f"/reports/?vendor={vendor.pk}&status=ready&period={report.period.lower()}"
        ).content.decode()
    )
    bad = analyst_client.post("/reports/request/", {"kind": "vendor", "quarter": report.period})
    assert bad.status_code == 400 and "Choose the vendor" in bad.content.decode()

    client.force_login(viewer)
    assert client.get("/reports/").status_code == 200
    assert client.post("/reports/request/", {"kind": "quarterly", "quarter": report.period}).status_code == 403
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_the_api_lists_filters_asks_for_and_downloads_reports(analyst, django_capture_on_commit_callbacks):
    from tests.api import build_world, key_client

    world = build_world()
    client = key_client(analyst)
    listed = client.get("/api/v1/reports/?kind=quarterly&status=ready").json()
    assert [r["id"] for r in listed["results"]] == [world.report.pk]
    assert listed["results"][0]["vendor_name"] is None and listed["results"][0]["download"].endswith("/download/")
    assert client.get("/api/v1/reports/?kind=vendor").json()["results"] == []
    download = client.get(f"/api/v1/reports/{world.report.pk}/download/")
    assert download.status_code == 200 and download["X-Content-SHA256"] == world.report.sha256
    assert b"".join(download.streaming_content).startswith(b"%PDF-")

    with django_capture_on_commit_callbacks() as callbacks:
        created = client.post("/api/v1/reports/", {"kind": "quarterly"}, format="json")
    assert created.status_code == 201 and created.json()["status"] == "queued" and len(callbacks) == 1
    assert created.json()["requested_by_name"] == analyst.username and created.json()["download"] is None
    bad = client.post("/api/v1/reports/", {"kind": "vendor", "quarter": "2999Q1"}, format="json").json()
    assert set(bad["fields"]) >= {"vendor"} or "period" in bad["fields"]
    assert client.get(f"/api/v1/reports/{created.json()['id']}/download/").status_code == 404


def test_the_executive_summarys_tier_table_stays_in_its_half_of_the_page(portfolio):
    """Its last column ends before "Top exposures" begins and its widest badge fits its first column (read back
    with pdftotext -bbox: a table wider than its half of the page printed its changes over the other table)."""
    import subprocess

    pdf = _quarterly(timezone.now())
    page = next(i for i, text in enumerate(_pdf_text(pdf)[1], start=1) if "Products by risk tier" in text)
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    word = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>')
    boxes: dict[str, list[tuple[float, float]]] = {}
    for x0, x1, text in word.findall(out):
        boxes.setdefault(text, []).append((float(x0), float(x1)))

    top_exposures = boxes["Top"][0][0]
    assert boxes["CHANGE"][0][1] < top_exposures  # the tier table's last column
    assert boxes["TIER"][0][0] < boxes["Moderate"][0][1] < boxes["PRODUCTS"][0][0]  # the widest badge fits

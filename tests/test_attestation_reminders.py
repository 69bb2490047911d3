"""Reminders for attestation requests: the daily beat job emails the contacts the link went to, a few days before
the deadline and once when it has passed, each with a new link (the old one answers 410); a rerun sends nothing
twice; signed, cancelled and never-sent requests get none. The pure rule they share with questionnaires."""

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from assessments import services, tasks
from assessments.models import AttestationLink, AttestationRequest
from assessments.reminders import reminder_stamp
from assessments.services import attestation_links
from tests import factories
from tests.test_attestation_portal import _form, _path
from tests.test_attestations import attestation_files, portfolio  # noqa: F401 (fixtures)


@pytest.mark.parametrize(
    ("days_left", "sent", "stamp"),
    [
        (20, [], ""),  # too early
        (7, [], "7d"),
        (5, [], "7d"),
        (5, ["7d"], ""),  # already sent
        (3, ["7d"], "3d"),
        (1, [], "1d"),  # the job did not run for a week: only the closest reminder goes out
        (2, ["1d"], ""),  # a closer reminder already went out
        (0, ["7d", "3d"], "1d"),
        (-1, ["7d", "3d", "1d"], "overdue"),
        (-9, ["overdue"], ""),  # once overdue, once only
    ],
)
def test_which_reminder_is_due(days_left, sent, stamp):
    assert reminder_stamp(days_left=days_left, days=(7, 3, 1), sent=sent) == stamp


@pytest.fixture
def sent_request(portfolio, analyst, django_capture_on_commit_callbacks):  # noqa: F811
    request = services.attestation_request_create(
        product=portfolio["qwen"].product, deadline=timezone.now().date() + dt.timedelta(days=20), by=analyst
    )
    contact = factories.ContactFactory(vendor=request.vendor, name="Cora Compliance", email="cora@vendor.example")
    factories.ContactFactory(vendor=request.vendor, name="Other", email="other@vendor.example")
    with django_capture_on_commit_callbacks(execute=True):
        _link, url = attestation_links.attestation_link_send(request=request, contacts=[contact], by=analyst)
    mail.outbox.clear()
    return request, url


def _remind(capture, day) -> int:
    with capture(execute=True):
        return attestation_links.attestation_requests_remind(today=day)


@pytest.mark.django_db
def test_reminders_go_to_the_contacts_before_the_deadline_and_once_overdue_with_a_new_link(
    client, analyst, sent_request, django_capture_on_commit_callbacks
):
    request, first_url = sent_request
    deadline = request.deadline

    runs = [(-10, 0), (-7, 1), (-7, 0), (-5, 0), (-1, 1), (-1, 0), (1, 1), (2, 0), (30, 0)]
    for offset, expected in runs:
        assert _remind(django_capture_on_commit_callbacks, deadline + dt.timedelta(days=offset)) == expected

    assert [m.to for m in mail.outbox] == [["cora@vendor.example"]] * 3  # only whom the link went to
    assert [m.subject for m in mail.outbox] == [
        f"Reminder: attestation {request.reference} is due {deadline.isoformat()}",
        f"Reminder: attestation {request.reference} is due {deadline.isoformat()}",
        f"Overdue: attestation {request.reference} was due {deadline.isoformat()}",
    ]
    assert "has not been signed yet" in mail.outbox[0].body and "was due on" in mail.outbox[-1].body
    request.refresh_from_db()
    assert request.reminders_sent == ["7d", "1d", "overdue"]
    links = list(AttestationLink.objects.filter(request=request).order_by("issued_at", "id"))
    assert [link.reason for link in links] == ["send", "reminder", "reminder", "reminder"]
    assert client.get(_path(first_url)).status_code == 410  # superseded by the first reminder
    newest = mail.outbox[-1].body.split("/portal/t/", 1)[1].split("/", 1)[0]
    entered = client.get(f"/portal/t/{newest}/")
    assert entered.status_code == 302 and links[-1].expires_at > timezone.now()  # an overdue link still works
    assert request.history.filter(history_change_reason__startswith="Link overdue reminder sent").exists()
    staff = Client()
    staff.force_login(analyst)
    detail = staff.get(request.get_absolute_url()).content.decode()
    assert "Reminders sent" in detail and "7d, 1d, overdue" in detail and "cora@vendor.example" in detail


@pytest.mark.django_db
def test_signed_cancelled_and_never_sent_requests_get_no_reminder(
    client,
    sent_request,
    portfolio,  # noqa: F811
    analyst,
    django_capture_on_commit_callbacks,
):
    request, url = sent_request
    entered = client.get(_path(url))["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(entered, _form(request)).status_code == 302
    cancelled = services.attestation_request_create(
        vendor=portfolio["vendor"], deadline=timezone.now().date() + dt.timedelta(days=2), by=analyst
    )
    attestation_links.attestation_link_send(request=cancelled, contacts=list(request.contacts.all()), by=analyst)
    services.attestation_request_cancel(request=cancelled, by=analyst)
    never_sent = services.attestation_request_create(
        vendor=portfolio["vendor"], deadline=timezone.now().date() + dt.timedelta(days=1), by=analyst
    )
    mail.outbox.clear()

    for offset in (1, 5, 30):
        assert _remind(django_capture_on_commit_callbacks, timezone.now().date() + dt.timedelta(days=offset)) == 0

    assert mail.outbox == []
    assert AttestationRequest.objects.get(pk=never_sent.pk).reminders_sent == []


@pytest.mark.django_db
def test_the_daily_task_is_scheduled_and_sends_through_the_service(
    sent_request, django_capture_on_commit_callbacks, settings
):
    request, _url = sent_request
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "assessments.tasks.attestation_requests_remind" in schedule
    AttestationRequest.objects.filter(pk=request.pk).update(deadline=timezone.now().date() + dt.timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        tasks.attestation_requests_remind.apply()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.attestation_requests_remind.apply()  # a rerun the same day

    assert len(mail.outbox) == 1 and mail.outbox[0].subject.startswith("Reminder:")

"""Rescoring and the findings workflow take turns on a usage (PostgreSQL row locks): two rescorings of the same
usages never leave two current ratings or two live findings for one factor, and a risk acceptance made while a
rescoring holds the usage waits for it instead of being overwritten."""

import datetime as dt
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from assessments import services
from assessments.models import Finding, RiskRating
from tests import factories
from vendors.models import LineageRefresh, ModelUsage
from vendors.services import lineage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

QWEN_GGUF = "northwind-ai/contract-copilot-7b-GGUF"


def _in_thread(target, results: list, key: str):
    def run():
        try:
            results.append((key, target(), time.monotonic()))
        except Exception as error:  # reported by the test
            results.append((key, error, time.monotonic()))
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.fixture
def usages(postgres, fake_hub, knowledge):
    first = factories.ModelUsageFactory(model__name=QWEN_GGUF)
    rest = [factories.ModelUsageFactory(model=first.model) for _ in range(29)]
    refresh = LineageRefresh.objects.create(scope="models", model_names=[QWEN_GGUF])
    lineage.lineage_refresh_run(refresh_id=refresh.pk)
    RiskRating.objects.all().delete()
    Finding.objects.all().delete()
    return [first, *rest]


def test_two_rescorings_of_the_same_usages_at_once_leave_one_current_rating_each(usages):
    results: list = []
    threads = [_in_thread(services.ratings_refresh, results, key) for key in ("a", "b")]
    for thread in threads:
        thread.join(60)

    errors = [value for _, value, _ in results if isinstance(value, Exception)]
    assert not errors, errors
    assert sorted(value for _, value, _ in results) == [0, len(usages)]  # the second found nothing to change
    assert RiskRating.objects.filter(is_current=True).count() == len(usages)
    assert Finding.objects.filter(code="origin.country_of_concern").count() == len(usages)


def test_an_acceptance_waits_for_a_rescoring_that_holds_the_usage_and_sees_what_it_wrote(usages, analyst):
    services.ratings_refresh()
    finding = Finding.objects.get(usage=usages[0], code="origin.country_of_concern")
    stale = Finding.objects.get(pk=finding.pk)  # what the analyst's page loaded: still open
    results: list = []
    locked = threading.Event()
    releasing: list[float] = []  # the moment the rescoring starts to commit: the lock is held until after it

    def rescoring_remediates():
        with transaction.atomic():
            list(ModelUsage.objects.select_for_update().filter(pk=usages[0].pk))
            Finding.objects.filter(pk=finding.pk).update(status=Finding.Status.REMEDIATED)
            locked.set()
            time.sleep(1.0)
            releasing.append(time.monotonic())
            return "rescoring done"

    def accept():
        locked.wait(10)
        return services.finding_accept(
            finding=stale,
            justification="Pilot, no personal data.",
            accepted_until=dt.date.today() + dt.timedelta(days=30),
            by=analyst,
        )

    threads = [_in_thread(rescoring_remediates, results, "rescoring"), _in_thread(accept, results, "accept")]
    for thread in threads:
        thread.join(30)

    finished = {key: (value, at) for key, value, at in results}
    # It waited for the lock. (Compared with the moment the rescoring began to commit: the rescoring thread's own
    # end is recorded after its commit, by which time the acceptance may already have finished.)
    assert finished["accept"][1] >= releasing[0]
    assert isinstance(finished["accept"][0], ValidationError)  # and judged the finding as it is now
    assert "remediated finding cannot be accepted" in str(finished["accept"][0])
    finding.refresh_from_db()
    assert finding.status == Finding.Status.REMEDIATED

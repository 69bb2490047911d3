"""The other doors into rescoring: the `rescore` command, and knowledge-base edits in the admin (a publisher's
country or flags, a host's or region's country are scoring facts)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from assessments.models import RiskRating
from tests import factories
from vendors.models import LineageRefresh, Publisher
from vendors.services import lineage

pytestmark = pytest.mark.django_db

QWEN_GGUF = "northwind-ai/contract-copilot-7b-GGUF"


@pytest.fixture
def rated(fake_hub, knowledge):
    usage = factories.ModelUsageFactory(model__name=QWEN_GGUF)
    refresh = LineageRefresh.objects.create(scope="models", model_names=[QWEN_GGUF])
    lineage.lineage_refresh_run(refresh_id=refresh.pk)
    call_command("rescore", verbosity=0)
    return usage


def test_the_command_rescores_everything_or_the_given_usages(rated, capsys):
    assert RiskRating.objects.filter(usage=rated).count() == 1
    call_command("rescore", "--usage", str(rated.pk))
    assert "1 model usage(s) rescored, 0 rating(s) changed." in capsys.readouterr().out
    with pytest.raises(CommandError, match="no model usage with id 999999"):
        call_command("rescore", "--usage", "999999")


def test_the_command_can_hand_the_work_to_the_workers(rated, django_capture_on_commit_callbacks, capsys):
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("rescore", "--enqueue")
    assert [c.func.__self__.name for c in callbacks] == ["assessments.tasks.ratings_refresh"]
    assert "queued" in capsys.readouterr().out


def test_an_admin_edit_of_a_publisher_rescores_the_usages_on_its_models(
    rated, client, django_capture_on_commit_callbacks
):
    client.force_login(factories.UserFactory(username="root", is_staff=True, is_superuser=True))
    qwen = Publisher.objects.get(orgs__org_id="Qwen")
    before = RiskRating.objects.get(usage=rated, is_current=True)
    assert "Qwen/Qwen2.5-7B" in before.factors[0]["reason"]

    page = client.get(reverse("admin:vendors_publisher_change", args=[qwen.pk])).context
    forms = [page["adminform"].form] + [f for inline in page["inline_admin_formsets"] for f in inline.formset.forms]
    payload = {form.add_prefix(name): form[name].value() for form in forms for name in form.fields}
    for inline in page["inline_admin_formsets"]:
        management = inline.formset.management_form
        payload |= {management.add_prefix(name): value for name, value in management.initial.items()}
    payload = {name: "" if value is None else value for name, value in payload.items()}
    payload |= {"country": "FR", "flags": "[]"}  # the publisher moves to France and leaves every list
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:vendors_publisher_change", args=[qwen.pk]), payload)
    assert response.status_code == 302

    after = RiskRating.objects.get(usage=rated, is_current=True)
    assert after.pk != before.pk
    assert not any("Qwen/Qwen2.5-7B (Qwen (Alibaba Cloud), CN)" in f["reason"] for f in after.factors)

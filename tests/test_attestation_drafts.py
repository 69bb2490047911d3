"""Drafts on the attestation signing page: what the vendor typed (confirm/correct per claim, corrections, names,
name and title) is saved without signing and comes back on a reload, a new link or a new session; a refused
signature keeps it; once signed the draft no longer changes and the attestation stays as signed."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from assessments import services
from assessments.attestation import claim_list, snapshot_from_json
from assessments.models import Attestation, AttestationDraft, AttestationRequest
from assessments.services import attestation_links
from tests.services import portal_enter
from tests.test_attestation_portal import _form, sent  # noqa: F401 (fixture)
from tests.test_attestations import attestation_files, portfolio  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def _claims(request):
    return claim_list(snapshot_from_json(request.claims))


def _partial(request, lineage: str) -> dict:
    """Two claims answered, one of them corrected, the signer's name and title; the rest left for later."""
    first = _claims(request)[0].id
    return {
        f"c:{first}": "confirm",
        f"c:{lineage}": "correct",
        f"t:{lineage}": "Fine-tuned from Llama 3.1 8B\u202e by our team",
        f"b:{lineage}": "meta-llama/Llama-3.1-8B",
        "name": "Cora Compliance",
        "title": "Head of Compliance",
        "action": "save",
    }


def test_a_saved_draft_comes_back_on_a_reload_and_signs_nothing(client, sent, portfolio):  # noqa: F811
    request, url = sent
    page = portal_enter(client, url)
    lineage = f"u{portfolio['qwen'].pk}.lineage"

    saved = client.post(page, _partial(request, lineage))

    assert saved.status_code == 302 and saved["Location"] == page
    assert not Attestation.objects.exists()
    assert AttestationRequest.objects.get(pk=request.pk).status == AttestationRequest.Status.OPEN
    draft = AttestationDraft.objects.get(request=request)
    assert draft.responses[lineage] == {
        "choice": "correct",
        "correction": "Fine-tuned from Llama 3.1 8B by our team",  # the direction override is gone
        "names": "meta-llama/Llama-3.1-8B",
    }
    assert draft.answered == 2 and draft.saved_from == "127.0.0.1"
    body = client.get(page).content.decode()
    assert "Draft saved" in body and "2 of" in body
    assert f'id="c-{lineage}-correct" value="correct" checked' in body
    assert "Fine-tuned from Llama 3.1 8B by our team</textarea>" in body
    assert 'value="meta-llama/Llama-3.1-8B"' in body and 'value="Cora Compliance"' in body
    assert 'value="Head of Compliance"' in body
    assert 'name="authorised" id="sig-authorised">' in body  # never kept ticked: it is ticked to sign


def test_a_new_link_in_a_new_session_finds_the_draft(client, sent, portfolio, analyst):  # noqa: F811
    request, url = sent
    lineage = f"u{portfolio['qwen'].pk}.lineage"
    client.post(portal_enter(client, url), _partial(request, lineage))
    client.force_login(analyst)
    detail = client.get(request.get_absolute_url()).content.decode()
    assert "Vendor's draft" in detail and "2 of" in detail  # the analyst sees the vendor is on it
    _link, new_url = attestation_links.attestation_link_send(
        request=request, contacts=list(request.vendor.contacts.all()[:1]), by=analyst, reason="reissue"
    )

    fresh = Client()  # the old session expired; the vendor opens the new email
    body = fresh.get(portal_enter(fresh, new_url)).content.decode()

    assert "Fine-tuned from Llama 3.1 8B by our team" in body and 'value="Cora Compliance"' in body


def test_a_refused_signature_keeps_what_was_typed(client, sent, portfolio):  # noqa: F811
    request, url = sent
    page = portal_enter(client, url)
    lineage = f"u{portfolio['qwen'].pk}.lineage"
    form = _form(request, correct={lineage: {"t": "Our own fine-tune of Llama", "b": "meta-llama/Llama-3.1-8B"}})
    del form["authorised"]

    refused = client.post(page, {**form, "action": "sign"})

    assert refused.status_code == 400 and not Attestation.objects.exists()
    draft = AttestationDraft.objects.get(request=request)
    assert (
        draft.answered == len(_claims(request))
        and draft.responses[lineage]["correction"] == "Our own fine-tune of Llama"
    )
    assert "Our own fine-tune of Llama" in client.get(page).content.decode()  # and after a reload too


def test_after_signing_the_draft_no_longer_changes_and_the_attestation_stays(
    client,
    sent,  # noqa: F811
    portfolio,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    request, url = sent
    page = portal_enter(client, url)
    lineage = f"u{portfolio['qwen'].pk}.lineage"
    client.post(page, _partial(request, lineage))
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(page, {**_form(request), "action": "sign"}).status_code == 302
    attestation = Attestation.objects.get(request=request)
    assert attestation.corrected_count == 0  # what was signed is what was posted at signing

    late = client.post(page, _partial(request, lineage))

    assert late.status_code == 409
    with pytest.raises(ValidationError, match="no longer changes"):
        services.attestation_draft_save(request=request, responses={}, name="Someone else")
    assert AttestationDraft.objects.get(request=request).responses[lineage]["choice"] == "confirm"
    signed = Attestation.objects.get(request=request)
    assert (signed.statement_sha256, signed.signer_name) == (attestation.statement_sha256, "Cora Compliance")
    body = client.get(page).content.decode()
    assert "Save draft" not in body and attestation.statement_sha256 in body


def test_a_draft_keeps_only_this_requests_claims_and_bounded_text(sent):  # noqa: F811
    request, _url = sent
    first = _claims(request)[0].id

    draft = services.attestation_draft_save(
        request=request,
        responses={
            first: {"choice": "maybe", "correction": "x" * 9000, "names": "a\x00b"},
            "u999999.lineage": {"choice": "confirm"},
        },
        name="N" * 500,
    )

    assert set(draft.responses) == {first}
    assert draft.responses[first]["choice"] == "" and len(draft.responses[first]["correction"]) <= 2000
    assert "\x00" not in draft.responses[first]["names"] and len(draft.signer_name) == 200

"""The pure side of attestations: claims as sentences, the statement signed and its hash, what responses
declare for scoring, and the snapshot's JSON round trip. No database."""

import hashlib
import json

import pytest

from assessments.attestation import (
    AttestationClaims,
    ClaimKind,
    EdgeClaim,
    HostClaim,
    NodeClaim,
    ProductClaims,
    Response,
    Signature,
    UsageClaims,
    claim_list,
    clean_correction,
    clean_names,
    declared_claims,
    missing_responses,
    snapshot_from_json,
    statement_sha256,
    statement_text,
)
from assessments.scoring import Claims

GGUF, FT, BASE = "acme/copilot-GGUF", "acme/copilot", "Qwen/Qwen2.5-7B"


def _usage(**overrides) -> UsageClaims:
    values = {
        "id": 7,
        "model": GGUF,
        "nodes": (
            NodeClaim(GGUF, publisher="bartowski", country="US", country_name="United States", repackager=True),
            NodeClaim(FT, publisher="Acme", country="US", country_name="United States", license="mit"),
            NodeClaim(BASE, publisher="Qwen", country="CN", country_name="China", license="apache-2.0"),
        ),
        "edges": (EdgeClaim(GGUF, FT, "quantized"), EdgeClaim(FT, BASE, "finetune")),
        "chains": ((GGUF, FT, BASE),),
        "roots": (BASE,),
        "host": HostClaim(
            "Groq", operator="Groq, Inc.", country="US", country_name="United States", region="eu-1",
            region_name="Helsinki", region_country="FI", region_country_name="Finland",
        ),
        "datasets": ("HuggingFaceH4/ultrachat_200k",),
    }  # fmt: skip
    return UsageClaims(**{**values, **overrides})


def _snapshot(*usages: UsageClaims) -> AttestationClaims:
    return AttestationClaims(
        vendor_id=1,
        vendor_name="Acme AI, Inc.",
        vendor_country="US",
        vendor_country_name="United States",
        products=(ProductClaims(3, "Acme Copilot", usages or (_usage(),)),),
        as_of="2026-12-01T00:00:00+00:00",
    )


def _texts(snapshot) -> dict[str, str]:
    return {claim.id: claim.text for claim in claim_list(snapshot)}


def test_each_usage_becomes_claims_in_a_fixed_order_with_stable_ids():
    claims = claim_list(_snapshot())

    assert [c.id for c in claims] == [
        "u7.model", "u7.lineage", "u7.node.0", "u7.node.1", "u7.node.2", "u7.hosting", "u7.licences", "u7.datasets",
    ]  # fmt: skip
    texts = _texts(_snapshot())
    assert texts["u7.model"] == f"Acme Copilot uses {GGUF} (a model hub repository) as its primary model."
    assert texts["u7.lineage"] == (
        f"{GGUF} is a quantized version of {FT}; {FT} is a fine-tune of {BASE}. Root model: {BASE}."
    )
    assert texts["u7.node.0"].endswith("which republishes others' weights and is not the model's origin.")
    assert texts["u7.node.2"] == f"{BASE} is published by Qwen (China (CN))."
    assert texts["u7.hosting"] == (
        f"{GGUF} is served for Acme Copilot by Groq (operated by Groq, Inc., United States (US)) in region Helsinki "
        "(Finland (FI))."
    )
    assert (
        texts["u7.licences"]
        == f"Licences along the chain: {FT}: mit; {BASE}: apache-2.0. No licence is on record for {GGUF}."
    )
    assert texts["u7.datasets"] == "Datasets named along the chain: HuggingFaceH4/ultrachat_200k."


NO_HOST = f"No host or serving region is on record for {GGUF} in Acme Copilot."


@pytest.mark.parametrize(
    ("overrides", "claim_id", "expected"),
    [
        ({"edges": (), "roots": (GGUF,)}, "u7.lineage", f"{GGUF} has no base model on record: it is a root model."),
        ({"complete": False, "incomplete_reasons": ("x: gated",)}, "u7.lineage", "lineage is incomplete (x: gated)."),
        ({"host": None}, "u7.hosting", NO_HOST),
        ({"host": HostClaim("Self", country="DE")}, "u7.hosting", "no serving region is on record."),
        ({"datasets": ()}, "u7.datasets", "No training or fine-tuning dataset is named anywhere along the chain."),
        ({"nodes": (NodeClaim(GGUF),)}, "u7.node.0", f"The publisher of {GGUF} is not known to us."),
        ({"role": "routed", "share": 30}, "u7.model", "as its routed model, routed 30% of its traffic."),
    ],
)
def test_claim_texts_say_what_is_missing_too(overrides, claim_id, expected):
    assert _texts(_snapshot(_usage(**overrides)))[claim_id].endswith(expected)


def test_the_statement_is_deterministic_and_its_hash_is_the_sha256_of_its_utf8_bytes():
    snapshot = _snapshot()
    responses = {c.id: Response(c.id, confirmed=True) for c in claim_list(snapshot)}
    responses["u7.lineage"] = Response(
        "u7.lineage", False, "Fine-tuned from Llama 3.1 8B.", ("meta-llama/Llama-3.1-8B",)
    )
    signature = Signature("Ana Müller", "CISO", "2026-12-05T08:00:00+00:00")

    text = statement_text("AR-00001", snapshot, responses, signature)

    assert text == statement_text("AR-00001", snapshot, dict(reversed(responses.items())), signature)
    assert statement_sha256(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert "2. [u7.lineage]" in text and "   Response: corrected\n   | Fine-tuned from Llama 3.1 8B." in text
    assert "Base (root) models stated: meta-llama/Llama-3.1-8B" in text
    assert text.endswith("Signed by: Ana Müller\nTitle: CISO\nSigned at: 2026-12-05T08:00:00+00:00\n")
    other = Signature("Ana Müller", "CISO", "2026-12-05T08:00:01+00:00")
    assert statement_sha256(statement_text("AR-00001", snapshot, responses, other)) != statement_sha256(text)


def test_responses_declare_base_models_and_hosting_countries_for_scoring():
    claims = claim_list(_snapshot())
    confirmed = {c.id: Response(c.id, True) for c in claims}
    assert declared_claims(claims, confirmed) == {7: Claims(base_models=(BASE,), hosting_countries=("US", "FI"))}

    corrected = {
        **confirmed,
        "u7.lineage": Response("u7.lineage", False, "Llama, not Qwen", ("meta-llama/Llama-3.1-8B",)),
        "u7.hosting": Response("u7.hosting", False, "We self-host in Germany", countries=("DE",)),
    }
    assert declared_claims(claims, corrected) == {
        7: Claims(base_models=("meta-llama/Llama-3.1-8B",), hosting_countries=("DE",))
    }
    vague = {**confirmed, "u7.lineage": Response("u7.lineage", False, "Not quite right")}
    assert declared_claims(claims, vague)[7].base_models == ()  # nothing checkable; the text is kept


def test_missing_responses_and_corrections_without_text_are_named():
    claims = claim_list(_snapshot())
    responses = {c.id: Response(c.id, True) for c in claims[1:]}
    responses["u7.hosting"] = Response("u7.hosting", False, "   ")

    assert [c.id for c in missing_responses(claims, responses)] == ["u7.model", "u7.hosting"]
    assert ClaimKind.HOSTING in ClaimKind.STRUCTURED


def test_corrections_and_names_are_cleaned_of_control_and_direction_characters():
    assert clean_correction("line one\r\n\u202eevil\u202c\x00 two\n\n  three  ") == "line one\nevil two\nthree"
    assert len(clean_correction("x" * 10_000)) == 2000
    assert clean_names(["de", " DE ", "fr\u200b", ""], upper=True) == ("DE", "FR")


def test_the_snapshot_round_trips_through_json():
    snapshot = _snapshot(_usage(), _usage(id=8, host=None))

    assert snapshot_from_json(json.loads(json.dumps(snapshot.to_json()))) == snapshot
    assert snapshot.usage_ids == (7, 8)
    with pytest.raises(ValueError, match="version"):
        snapshot_from_json({**snapshot.to_json(), "version": 99})

"""Validators for identifiers that enter the system from people, imports and the API."""

from django.core.exceptions import ValidationError
from huggingface_hub.utils import HFValidationError, validate_repo_id

HUB_REPO_ID_FORM = (
    "a model hub repository id such as Qwen/Qwen2.5-7B-Instruct: ORG/NAME (or a legacy single NAME) made of "
    "letters, digits, '-', '_' and '.', at most 96 characters, with no '--' or '..' and not starting or "
    "ending with '-' or '.'"
)


def validate_hub_repo_id(value: str) -> None:
    """Refuse anything that is not a hub model id, with the expected form in the message.

    The grammar is the hub client's own (huggingface_hub.utils.validate_repo_id), so we accept exactly the ids
    the client will send.
    """
    if not isinstance(value, str) or not value or value != value.strip():
        raise ValidationError(f"Enter {HUB_REPO_ID_FORM}.", code="invalid_repo_id", params={"value": value})
    try:
        validate_repo_id(value)
    except HFValidationError:
        raise ValidationError(
            "“%(value)s” is not a valid repository id. Enter " + HUB_REPO_ID_FORM + ".",
            code="invalid_repo_id",
            params={"value": value},
        ) from None

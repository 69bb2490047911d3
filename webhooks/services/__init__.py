"""Every write of the webhooks app; views, the API, tasks and the signal receivers call these."""

from webhooks.services.endpoints import (
    endpoint_create,
    endpoint_delete,
    endpoint_disable,
    endpoint_enable,
    endpoint_secret_rotate,
    endpoint_secrets_reseal,
    endpoint_update,
    secrets_in_force,
    target_validate,
)
from webhooks.services.messages import (
    attempt_record,
    endpoint_test_send,
    events_publish,
    message_deliver,
    message_resend,
    messages_abandon,
    messages_due_enqueue,
)

__all__ = [
    "attempt_record",
    "endpoint_create",
    "endpoint_delete",
    "endpoint_disable",
    "endpoint_enable",
    "endpoint_secret_rotate",
    "endpoint_secrets_reseal",
    "endpoint_test_send",
    "endpoint_update",
    "events_publish",
    "message_deliver",
    "message_resend",
    "messages_abandon",
    "messages_due_enqueue",
    "secrets_in_force",
    "target_validate",
]

"""The test provider's own door for the tests to set up its users (what an IdP's admin console does)."""

import hmac
import json
import os

from django.contrib.auth.models import Group, User
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def user_put(request, username):
    """Create or update ``username`` with the password, e-mail and exactly the groups of the JSON body."""
    expected = f"Bearer {os.environ['OIDC_PROVIDER_ADMIN_TOKEN']}"
    if not hmac.compare_digest(request.headers.get("Authorization", ""), expected):
        return HttpResponseForbidden()
    data = json.loads(request.body)
    user, _ = User.objects.get_or_create(username=username)
    user.email = data.get("email", "")
    user.first_name = username.capitalize()
    user.set_password(data["password"])
    user.save()
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in data.get("groups", [])])
    return HttpResponse(status=204)

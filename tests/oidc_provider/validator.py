from oauth2_provider.oauth2_validators import OAuth2Validator


class GroupsClaimValidator(OAuth2Validator):
    """Standard claims, and the user's groups in a ``groups`` claim for the ``groups`` scope (as Okta does)."""

    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "groups": "groups", "preferred_username": "profile"}

    def get_additional_claims(self, request):
        user = request.user
        return {
            "preferred_username": user.username,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "email": user.email,
            "groups": sorted(user.groups.values_list("name", flat=True)),
        }

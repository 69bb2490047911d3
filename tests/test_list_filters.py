"""Every list page: an invalid filter value shows the filter's error, a valid filter that matches nothing says so,
and neither ever shows the empty-portfolio message."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

# (url with an invalid value, the empty-portfolio message it must not show, a valid filter matching nothing)
LISTS = [
    ("/vendors/?country=zz", "No vendors yet", "/vendors/?q=nothing-like-this"),
    ("/products/?vendor=999999", "No products yet", "/products/?q=nothing-like-this"),
    ("/models/?kind=zzz", "No models yet", "/models/?q=nothing-like-this"),
    ("/exposure/?publisher=zzz", "No model usage yet", "/exposure/?model=nobody/nothing"),
    ("/findings/?owner=zzz", "No live finding", "/findings/?q=nothing-like-this"),
]


@pytest.mark.parametrize(("invalid", "empty_message", "no_match"), LISTS)
def test_invalid_filter_shows_its_error_and_no_match_says_so(analyst_client, invalid, empty_message, no_match):
    factories.ModelUsageFactory()
    body = analyst_client.get(invalid).content.decode()
    assert "These filters are not valid: correct them above." in body
    assert 'class="invalid-feedback d-block"' in body  # the field's own error, on the form
    assert empty_message not in body

    body = analyst_client.get(no_match).content.decode()
    assert "matches these filters" in body
    assert empty_message not in body and "not valid" not in body


def test_a_page_number_alone_is_not_a_filter(analyst_client):
    body = analyst_client.get("/vendors/?page=1").content.decode()
    assert "No vendors yet" in body


@pytest.mark.parametrize(
    ("since", "valid"),
    [
        ("2026-01-01T00:00:00+20:31", True),  # a legal ISO offset beyond PostgreSQL's ±15:59
        ("0256-10-07T02:07:44+20:31", True),
        ("2026-01-01T00:00:00Z", True),
        ("0001-01-01T00:00:00+05:00", False),  # before the year 1 in UTC
        ("9999-12-31T23:00:00-05:00", False),  # after the year 9999 in UTC
    ],
)
def test_time_filters_compare_in_utc_and_never_fail_in_the_database(since, valid):
    from assessments.filters import RiskRatingFilterSet
    from assessments.models import RiskRating
    from vendors.filters import ChangeEventFilterSet
    from vendors.models import ChangeEvent

    factories.ModelUsageFactory()
    for filterset_class, model in ((ChangeEventFilterSet, ChangeEvent), (RiskRatingFilterSet, RiskRating)):
        filterset = filterset_class({"since": since}, queryset=model.objects.all())
        assert filterset.is_valid() is valid, filterset.errors
        if valid:
            assert filterset.form.cleaned_data["since"].utcoffset().total_seconds() == 0
            list(filterset.qs)  # the database takes it
        else:
            assert "between the years 1 and 9999" in str(filterset.errors["since"])

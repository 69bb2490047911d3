"""Every list page's filter bar is styled like the app's other forms: each visible control carries Bootstrap's
class, so the controls keep to their columns instead of running into the next label."""

from html.parser import HTMLParser

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

LISTS = [
    "/vendors/", "/products/", "/models/", "/exposure/", "/findings/", "/attestations/", "/assessments/",
    "/reports/", "/webhooks/",
]  # fmt: skip
STYLE_CLASSES = {"form-control", "form-select", "form-check-input"}


class _FilterControls(HTMLParser):
    """The visible inputs and selects inside the page's ``form.filter-form``, with their classes."""

    def __init__(self):
        super().__init__()
        self.depth = 0  # > 0 inside the filter form
        self.controls: list[tuple[str, set[str]]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        if tag == "form":
            self.depth += 1 if self.depth or "filter-form" in classes else 0
        elif self.depth and tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            self.controls.append((attrs.get("name") or "?", classes))

    def handle_endtag(self, tag):
        if tag == "form" and self.depth:
            self.depth -= 1


@pytest.mark.parametrize("url", LISTS)
def test_every_filter_control_is_styled(client, admin_user, url):
    factories.ModelUsageFactory()
    client.force_login(admin_user)

    response = client.get(url)

    assert response.status_code == 200
    parser = _FilterControls()
    parser.feed(response.content.decode())
    assert parser.controls, f"{url} has no filter form"
    unstyled = [name for name, classes in parser.controls if not classes & STYLE_CLASSES]
    assert not unstyled, f"{url}: filter controls without Bootstrap's class: {unstyled}"


def test_a_filter_error_marks_its_control_for_assistive_technology(analyst_client):
    response = analyst_client.get("/models/", {"q": "a" * 50_000})

    page = response.content.decode()
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="id_q-errors"' in page


def test_an_empty_choice_reads_any_and_a_yes_no_filter_says_what_each_answer_means(analyst_client):
    page = analyst_client.get("/models/").content.decode()

    assert "---------" not in page
    assert '<option value="" selected>Any</option>' in page
    assert '<option value="true">In use</option>' in page and '<option value="false">Not in use</option>' in page
    assert ">Unknown<" not in page

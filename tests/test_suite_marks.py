"""The marks the suite sets at collection, which decide what the SQLite pass of ``make test`` runs: a test that
uses the database is marked ``database`` (and runs again on SQLite), one that does not is not."""

import pytest


def test_a_test_without_the_database_is_not_marked(request):
    assert request.node.get_closest_marker("database") is None


@pytest.mark.django_db
def test_a_test_marked_django_db_is_marked(request):
    assert request.node.get_closest_marker("database") is not None


def test_a_test_reaching_the_database_through_a_fixture_is_marked(request, client, db):
    assert request.node.get_closest_marker("database") is not None


def test_a_test_on_postgresql_is_marked_both(request, postgres):
    assert {mark.name for mark in request.node.iter_markers()} >= {"database", "postgres"}

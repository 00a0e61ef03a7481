"""Migration 0005 on a database with sessions in it: every result and attempt
gets its case key from today's item number ("7" is the key of item 7)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("certify", "0004_item_notes")]
KEYS = [("certify", "0005_case_keys")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def test_results_and_attempts_get_their_key_from_their_number():
    old = migrate(BEFORE)
    session = old.get_model("certify", "CertSession").objects.create(charge_point_id="CP-OLD")
    for number in (7, 18):
        old.get_model("certify", "ItemResult").objects.create(session=session, number=number)
        old.get_model("certify", "Attempt").objects.create(session=session, number=number, n=1)
    try:
        new = migrate(KEYS)
        results = new.get_model("certify", "ItemResult").objects.filter(session_id=session.pk)
        tries = new.get_model("certify", "Attempt").objects.filter(session_id=session.pk)
        assert sorted(results.values_list("case", "number")) == [("18", 18), ("7", 7)]
        assert sorted(tries.values_list("case", "n")) == [("18", 1), ("7", 1)]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

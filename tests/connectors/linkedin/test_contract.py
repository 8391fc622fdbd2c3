"""The core's connector contract kit, run against the LinkedIn connector.

The archive is tests/fixtures/linkedin/export/: real header lines with HAND-MADE rows, written
from tests/connectors/linkedin/conftest.py (a test below keeps the two identical). The API
pages are the documentation sample and the hand-made pages of tests/fixtures/linkedin/api/.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

from rapport.plugins.connector import Connector
from rapport.plugins.testing import ConnectorContract, Replay
from rapport_connectors.linkedin import LinkedInConnector
from tests.connectors.linkedin.conftest import default_members

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "linkedin"
EXPORT = FIXTURES / "export"


class TestLinkedInContract(ConnectorContract):
    connector: ClassVar[Connector] = LinkedInConnector()
    archive = EXPORT
    fetch_account = "tom-cruise"

    def replay(self) -> Replay:
        path = "/rest/memberSnapshotData"
        not_found = {"message": "No data found for the member", "status": 404}
        return (
            Replay()
            .add(
                path,
                FIXTURES / "memberSnapshotData_PROFILE.docs-sample.json",
                params={"domain": "PROFILE"},
            )
            .add(path, not_found, params={"domain": "PROFILE", "start": "1"}, status=404)
            .add(path, FIXTURES / "api" / "connections.json", params={"domain": "CONNECTIONS"})
            .add(path, FIXTURES / "api" / "inbox_page1.json", params={"domain": "INBOX"})
            .add(
                path,
                FIXTURES / "api" / "inbox_page2.json",
                params={"domain": "INBOX", "start": "1"},
            )
        )


def test_committed_export_matches_the_builder() -> None:
    members = default_members()
    assert sorted(p.name for p in EXPORT.iterdir()) == sorted(members)
    for name, data in members.items():
        assert (EXPORT / name).read_bytes() == data, name
    assert json.loads((FIXTURES / "api" / "connections.json").read_text())["elements"]

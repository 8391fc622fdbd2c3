"""The core's connector contract kit, run against the Mastodon connector: the real recorded
responses (plus the hand-made later pages) in the kit's replay, and the real-shaped archive."""

from __future__ import annotations

from typing import ClassVar

from rapport.plugins.connector import Connector
from rapport.plugins.testing import ConnectorContract, Replay
from rapport_connectors.mastodon import MastodonConnector
from tests.connectors.mastodon.conftest import ARCHIVE_FIXTURES
from tests.connectors.mastodon.test_api import scenario


class TestMastodonContract(ConnectorContract):
    connector: ClassVar[Connector] = MastodonConnector()
    archive = ARCHIVE_FIXTURES
    fetch_account = "mastodonpy_test"

    def replay(self) -> Replay:
        kit = Replay()
        for (_method, path, query), answer in scenario().routes.items():
            kit.add(
                path,
                answer.body,
                params=dict(query),
                status=answer.status,
                headers=dict(answer.headers),
            )
        return kit

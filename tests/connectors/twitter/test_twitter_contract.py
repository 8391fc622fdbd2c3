"""The core's connector contract, run against the X connector: the same few lines a
third-party connector writes (docs/connectors.md)."""

from __future__ import annotations

import json
from typing import ClassVar

from rapport.plugins.connector import Connector
from rapport.plugins.testing import ConnectorContract, Replay
from rapport_connectors.twitter import TwitterConnector
from tests.connectors.twitter.helpers import REAL_2023
from tests.connectors.twitter.replay import full_replay


class TestTwitterContract(ConnectorContract):
    connector: ClassVar[Connector] = TwitterConnector()
    archive = REAL_2023  # real excerpts: account.js, tweets.js, follower.js, following.js
    fetch_account = "Twitter"

    def replay(self) -> Replay:
        """The real recordings plus the hand-made later pages, in the kit's replay."""
        kit = Replay()
        for rec in full_replay().recordings:
            kit.add(
                rec.path,
                json.dumps(rec.body).encode(),
                params=rec.params,
                status=rec.status,
                headers=rec.headers,
            )
        return kit

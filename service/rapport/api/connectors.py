"""`GET /v1/connectors`: the connector plugins installed, what they can do, and what failed to
load (so an operator sees a broken plugin instead of a silently missing platform)."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency

from rapport.api.problems import AUTHED, documented
from rapport.api.schemas import ConnectorOut, ConnectorsOut, LoadErrorOut
from rapport.api.state import Ctx

__all__ = ["ConnectorsController"]


class ConnectorsController(Controller):
    path = "/v1/connectors"
    tags = ("connectors",)

    @get(
        "/",
        summary="Installed connectors, their capabilities and load errors",
        responses=documented(*AUTHED),
    )
    async def list_connectors(self, ctx: NamedDependency[Ctx]) -> ConnectorsOut:
        services = ctx.services
        # Authenticated like every /v1 route (ctx exists only then); the answer is the same for
        # every tenant.
        registry = services.registry
        if registry is None:
            return ConnectorsOut(connectors=[], errors=[])
        return ConnectorsOut(
            connectors=[
                ConnectorOut(
                    name=name,
                    version=str(getattr(c, "version", "")),
                    capabilities=msgspec.to_builtins(c.capabilities),
                )
                for name, c in sorted(registry.connectors.items())
            ],
            errors=[LoadErrorOut(plugin=e.plugin, message=e.message) for e in registry.errors],
        )

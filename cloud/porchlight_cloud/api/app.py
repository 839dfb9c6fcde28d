"""The FastAPI application factory: the cloud's HTTP API over the store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ..config import Settings
from .db import Database
from .routes import homes, ops


def create_app(settings: Settings | None = None, *, db_url: str | None = None) -> FastAPI:
    """Build the API for one database (``db_url`` overrides the settings' URL; handy in tests)."""
    settings = settings or Settings()
    database = Database(db_url or settings.db_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        database.close()

    app = FastAPI(title="Porchlight", version="0.1.0", lifespan=lifespan)
    app.state.db = database
    app.state.settings = settings
    app.include_router(ops.router)
    app.include_router(homes.router, prefix="/api/v1")
    return app

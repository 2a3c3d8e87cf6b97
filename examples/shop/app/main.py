"""The shop API: application set-up."""

from contextlib import asynccontextmanager

from fastapi import FastAPI

from .database import create_db_and_tables, engine
from .routers import items


@asynccontextmanager
async def lifespan(app: FastAPI):
    create_db_and_tables()
    yield
    engine.dispose()


app = FastAPI(title="Shop", lifespan=lifespan)
app.include_router(items.router)

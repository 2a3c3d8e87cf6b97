"""The shop API: application set-up."""

from contextlib import asynccontextmanager

from fastapi import FastAPI

from .routers import items


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield


app = FastAPI(title="Shop", lifespan=lifespan)
app.include_router(items.router)


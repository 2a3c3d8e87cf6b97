"""The Tier 2 detector against the shipped topics.

Realistic code fires each topic on the cursor's line, plain Tier 1 code fires nothing, ``detect``
reads the whole line while ``topics_at`` keeps the matches that overlap the cursor's columns, and
version gates fire only for known old versions.  Pure unit tests: no server, no network.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from packaging.version import Version

from fastapi_ls import knowledge
from fastapi_ls.analysis import analyse
from fastapi_ls.tier2 import detect, topics_at

KB = knowledge.load()
TOPIC_IDS = [topic.id for topic in KB.topics]

CURRENT = {"fastapi": Version("0.165.0"), "pydantic": Version("2.14.4")}
OLD = {"fastapi": Version("0.90.0"), "pydantic": Version("1.10.13")}

#: the cursor inside a case's line fragment
CURSOR = "|"


def locate(module: str, fragment: str) -> tuple[str, int]:
    """The first line of ``module`` holding ``fragment`` (which carries the cursor), and the
    cursor's column in it."""
    assert fragment.count(CURSOR) == 1, f"one cursor marker in {fragment!r}"
    before, after = fragment.split(CURSOR)
    needle = before + after
    lines = [line for line in module.splitlines() if needle in line]
    assert lines, f"{needle!r} is on no line"
    line = lines[0]
    assert line.count(needle) == 1, f"{needle!r} occurs twice in {line!r}"
    return line, line.index(needle) + len(before)


def detect_at(module: str, fragment: str, path: str, installed: dict[str, Version] | None = None):
    """``detect`` on the cursor's line (the whole line counts)."""
    line, _ = locate(module, fragment)
    return detect(line, analyse(module), path, KB.topics, KB.version_gates, installed)


def topic_ids_at_cursor(module: str, fragment: str, path: str) -> list[str]:
    """``topics_at`` for the cursor's column: only matches the cursor touches."""
    line, column = locate(module, fragment)
    return [topic.id for topic in topics_at(line, column, column, analyse(module), path, KB.topics)]


def ids(detections) -> list[str]:
    return [detection.topic.id for detection in detections]


# ============================================================================================
# Realistic modules for the positive cases

WS_MANAGER = """\
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


class ConnectionManager:
    def __init__(self):
        self.active_connections: list[WebSocket] = []

    async def connect(self, websocket: WebSocket):
        await websocket.accept()
        self.active_connections.append(websocket)

    def disconnect(self, websocket: WebSocket):
        self.active_connections.remove(websocket)

    async def broadcast(self, message: str):
        for connection in self.active_connections:
            await connection.send_text(message)


manager = ConnectionManager()


@app.websocket("/ws/{client_id}")
async def websocket_endpoint(websocket: WebSocket, client_id: int):
    await manager.connect(websocket)
    try:
        while True:
            data = await websocket.receive_text()
            await manager.broadcast(f"Client #{client_id} says: {data}")
    except WebSocketDisconnect:
        manager.disconnect(websocket)
"""

WS_ROOMS = """\
from collections import defaultdict

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

router = APIRouter()


class RoomHub:
    def __init__(self) -> None:
        self.rooms: dict[str, set[WebSocket]] = defaultdict(set)

    async def join(self, room: str, websocket: WebSocket) -> None:
        await websocket.accept()
        self.rooms[room].add(websocket)

    def leave(self, room: str, websocket: WebSocket) -> None:
        self.rooms[room].discard(websocket)


hub = RoomHub()


@router.websocket("/ws/rooms/{room_id}")
async def chat(websocket: WebSocket, room_id: str):
    await hub.join(room_id, websocket)
    try:
        while True:
            text = await websocket.receive_text()
            for peer in hub.rooms[room_id]:
                await peer.send_text(text)
    except WebSocketDisconnect:
        hub.leave(room_id, websocket)
"""

WS_CHANNELS = """\
from starlette.websockets import WebSocket


class Channels:
    def __init__(self):
        self.channels: dict[str, list[WebSocket]] = {}

    def subscribe(self, name: str, websocket: WebSocket):
        self.channels.setdefault(name, [])
        self.channels[name].append(websocket)
"""

WS_AUTH = """\
from typing import Annotated

from fastapi import (
    Cookie,
    Depends,
    FastAPI,
    Query,
    WebSocket,
    WebSocketException,
    status,
)

from .security import User, get_current_user

app = FastAPI()


async def get_cookie_or_token(
    websocket: WebSocket,
    session: Annotated[str | None, Cookie()] = None,
    token: Annotated[str | None, Query()] = None,
):
    if session is None and token is None:
        raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION)
    return session or token


@app.websocket("/ws/notifications")
async def notifications(websocket: WebSocket, user: User = Depends(get_current_user)):
    await websocket.accept()
    if not user.is_active:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)


@app.websocket("/ws/legacy")
async def legacy(websocket: WebSocket):
    if "token" not in websocket.query_params:
        await websocket.close(code=1008)
        return
    await websocket.accept()
"""

WS_REDIS = """\
import asyncio

import redis.asyncio as redis
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
client = redis.from_url("redis://localhost:6379/0", decode_responses=True)


@app.websocket("/ws/{channel}")
async def relay(websocket: WebSocket, channel: str):
    await websocket.accept()
    pubsub = client.pubsub()
    await pubsub.subscribe(channel)

    async def forward():
        async for message in pubsub.listen():
            if message["type"] == "message":
                await websocket.send_text(message["data"])

    task = asyncio.create_task(forward())
    try:
        while True:
            text = await websocket.receive_text()
            await client.publish(channel, text)
    except WebSocketDisconnect:
        task.cancel()
        await pubsub.unsubscribe(channel)
"""

WS_BROADCASTER = """\
from broadcaster import Broadcast
from fastapi import FastAPI, WebSocket

broadcast = Broadcast("redis://localhost:6379")
app = FastAPI(on_startup=[broadcast.connect], on_shutdown=[broadcast.disconnect])


@app.websocket("/ws")
async def chatroom(websocket: WebSocket):
    await websocket.accept()
    async with broadcast.subscribe(channel="chatroom") as subscriber:
        async for event in subscriber:
            await websocket.send_text(event.message)
"""

STRAWBERRY = """\
import strawberry
from fastapi import FastAPI
from strawberry.fastapi import GraphQLRouter


@strawberry.type
class Book:
    title: str
    author: str


@strawberry.type
class Query:
    @strawberry.field
    def books(self) -> list[Book]:
        return [Book(title="The Great Gatsby", author="F. Scott Fitzgerald")]


schema = strawberry.Schema(query=Query)
graphql_app = GraphQLRouter(schema)

app = FastAPI()
app.include_router(graphql_app, prefix="/graphql")
"""

OTEL = """\
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

app = FastAPI()

provider = TracerProvider(resource=Resource.create({"service.name": "orders-api"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
FastAPIInstrumentor.instrument_app(app)
tracer = trace.get_tracer(__name__)


@app.get("/orders/{order_id}")
async def read_order(order_id: int):
    with tracer.start_as_current_span("load-order"):
        return {"order_id": order_id}
"""

CUSTOM_OPENAPI = """\
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

app = FastAPI()


@app.post("/items/", openapi_extra={"x-aperture-labs-portal": "blue"})
async def create_item():
    return {"ok": True}


def custom_openapi():
    if app.openapi_schema:
        return app.openapi_schema
    openapi_schema = get_openapi(
        title="Custom title",
        version="2.5.0",
        summary="This is a very custom OpenAPI schema",
        routes=app.routes,
    )
    openapi_schema["info"]["x-logo"] = {"url": "https://example.com/logo.png"}
    app.openapi_schema = openapi_schema
    return app.openapi_schema


app.openapi = custom_openapi
"""

SSE_STARLETTE = """\
import asyncio

from fastapi import FastAPI, Request
from sse_starlette.sse import EventSourceResponse, ServerSentEvent

app = FastAPI()


@app.get("/events")
async def events(request: Request):
    async def event_generator():
        while not await request.is_disconnected():
            yield ServerSentEvent(data="ping", event="tick")
            await asyncio.sleep(1)

    return EventSourceResponse(event_generator())
"""

SSE_FASTAPI = """\
from collections.abc import AsyncIterable

from fastapi import FastAPI
from fastapi.sse import EventSourceResponse
from pydantic import BaseModel

app = FastAPI()


class Item(BaseModel):
    name: str


@app.get("/items/stream", response_class=EventSourceResponse)
async def stream_items() -> AsyncIterable[Item]:
    for name in ("plumbus", "portal gun"):
        yield Item(name=name)
"""

SSE_STREAMING = """\
import asyncio
import json

from fastapi import FastAPI
from fastapi.responses import StreamingResponse

app = FastAPI()


async def price_updates():
    while True:
        yield f"data: {json.dumps({'price': 42})}\\n\\n"
        await asyncio.sleep(1)


@app.get("/prices")
async def prices():
    return StreamingResponse(price_updates(), media_type="text/event-stream")
"""

SQLALCHEMY_ASYNC = """\
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from .models import Item

DATABASE_URL = "postgresql+psycopg://app:secret@localhost/app"

engine = create_async_engine(DATABASE_URL, echo=False)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
app = FastAPI()


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session


@app.get("/items")
async def list_items(session: Annotated[AsyncSession, Depends(get_session)]):
    result = await session.execute(select(Item))
    return result.scalars().all()
"""

ASYNCPG = """\
from contextlib import asynccontextmanager
from typing import Annotated

import asyncpg
from fastapi import Depends, FastAPI, Request


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.pool = await asyncpg.create_pool(dsn="postgresql://app@localhost/app")
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


async def get_connection(request: Request):
    async with request.app.state.pool.acquire() as connection:
        yield connection


@app.get("/users/{user_id}")
async def read_user(user_id: int, conn: Annotated[asyncpg.Connection, Depends(get_connection)]):
    return await conn.fetchrow("SELECT id, email FROM users WHERE id = $1", user_id)
"""

AIOMYSQL = """\
from contextlib import asynccontextmanager

import aiomysql
from fastapi import FastAPI, Request


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.pool = await aiomysql.create_pool(host="127.0.0.1", user="app", db="shop")
    yield
    app.state.pool.close()
    await app.state.pool.wait_closed()


app = FastAPI(lifespan=lifespan)


async def get_cursor(request: Request):
    async with request.app.state.pool.acquire() as connection:
        async with connection.cursor(aiomysql.DictCursor) as cursor:
            yield cursor
"""

MOTOR = """\
from contextlib import asynccontextmanager

from fastapi import FastAPI
from motor.motor_asyncio import AsyncIOMotorClient

from .config import settings


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.mongo = AsyncIOMotorClient(settings.mongodb_url)
    yield
    app.state.mongo.close()


app = FastAPI(lifespan=lifespan)
"""

POOLING = """\
import asyncpg
from sqlalchemy.ext.asyncio import create_async_engine

from .config import settings

engine = create_async_engine(settings.database_url, pool_size=10, max_overflow=20)
legacy_engine = create_async_engine(
    settings.legacy_url,
    pool_pre_ping=True,
    pool_recycle=1800,
)


async def make_pool():
    return await asyncpg.create_pool(settings.dsn, min_size=5, max_size=20)
"""

MULTI_DB = """\
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from .config import settings
from .models import Order, User

primary_engine = create_engine(settings.primary_url)
replica_engine = create_engine(settings.replica_url)
analytics_engine = create_engine(settings.analytics_url)

Session = sessionmaker(binds={User: primary_engine, Order: analytics_engine})
"""

ALEMBIC_REVISION = '''\
"""add age to users

Revision ID: 3f1c2a9d8b7e
Revises: 1a2b3c4d5e6f
Create Date: 2024-05-01 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "3f1c2a9d8b7e"
down_revision = "1a2b3c4d5e6f"


def upgrade() -> None:
    op.add_column("users", sa.Column("age", sa.Integer(), nullable=True))
    op.create_index("ix_users_age", "users", ["age"])


def downgrade() -> None:
    op.drop_index("ix_users_age", table_name="users")
    op.drop_column("users", "age")
'''

ALEMBIC_ENV = """\
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

from app.models import Base

config = context.config
fileConfig(config.config_file_name)
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    section = config.get_section(config.config_ini_section)
    connectable = engine_from_config(section, poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
"""

CELERY_WORKER = """\
from celery import Celery

celery_app = Celery("worker", broker="redis://localhost:6379/0", backend="redis://localhost:6379/1")


@celery_app.task(bind=True, max_retries=3)
def send_welcome_email(self, email: str) -> None:
    print(f"sending to {email}")
"""

CELERY_ROUTES = """\
from fastapi import APIRouter

from app.schemas import UserCreate
from app.worker import celery_app, send_welcome_email

router = APIRouter()


@router.post("/users", status_code=201)
async def create_user(user: UserCreate):
    send_welcome_email.delay(user.email)
    return {"email": user.email}


@router.post("/reports")
async def create_report():
    task = celery_app.send_task("reports.build")
    return {"task_id": task.id}


@router.get("/tasks/{task_id}")
async def task_status(task_id: str):
    result = celery_app.AsyncResult(task_id)
    return {"status": result.status}
"""

RQ = """\
from fastapi import FastAPI
from redis import Redis
from rq import Queue

from app.jobs import generate_report

app = FastAPI()
queue = Queue("reports", connection=Redis())


@app.post("/reports/{report_id}")
def create_report(report_id: int):
    job = queue.enqueue(generate_report, report_id)
    return {"job_id": job.id}
"""

ARQ_APP = """\
from contextlib import asynccontextmanager

from arq import create_pool
from arq.connections import RedisSettings
from fastapi import FastAPI, Request


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.arq = await create_pool(RedisSettings(host="localhost"))
    yield
    await app.state.arq.close()


app = FastAPI(lifespan=lifespan)


@app.post("/emails")
async def queue_email(request: Request, to: str):
    job = await request.app.state.arq.enqueue_job("send_email", to)
    return {"job_id": job.job_id}
"""

ARQ_WORKER = """\
from arq.connections import RedisSettings


async def send_email(ctx, to: str) -> None:
    print(f"sending to {to}")


class WorkerSettings:
    functions = [send_email]
    redis_settings = RedisSettings()
"""

REDIS_CACHE = """\
from contextlib import asynccontextmanager

import redis.asyncio as redis
from fastapi import FastAPI, Request


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.redis = redis.from_url("redis://localhost:6379/0", decode_responses=True)
    yield
    await app.state.redis.aclose()


app = FastAPI(lifespan=lifespan)


@app.get("/rates/{currency}")
async def rate(currency: str, request: Request):
    cached = await request.app.state.redis.get(f"rate:{currency}")
    return {"rate": cached}
"""

REDIS_CLIENT = """\
from redis.asyncio import Redis

from .config import settings

client = Redis(host=settings.redis_host, port=6379, decode_responses=True)
replica = Redis.from_url(settings.redis_replica_url)
"""

MEMCACHED = """\
from contextlib import asynccontextmanager

import aiomcache
from fastapi import FastAPI


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.memcached = aiomcache.Client("127.0.0.1", 11211)
    yield
    await app.state.memcached.close()


app = FastAPI(lifespan=lifespan)
"""

PYMEMCACHE = """\
from pymemcache.client.base import Client

client = Client(("localhost", 11211))
"""

FASTAPI_CACHE = """\
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_cache import FastAPICache
from fastapi_cache.backends.redis import RedisBackend
from fastapi_cache.decorator import cache
from redis import asyncio as aioredis


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    redis = aioredis.from_url("redis://localhost")
    FastAPICache.init(RedisBackend(redis), prefix="fastapi-cache")
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/")
@cache(expire=60)
async def index():
    return {"hello": "world"}
"""

ELASTICSEARCH = """\
from contextlib import asynccontextmanager

from elasticsearch import AsyncElasticsearch
from fastapi import FastAPI

es = AsyncElasticsearch("http://localhost:9200")


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield
    await es.close()


app = FastAPI(lifespan=lifespan)


@app.get("/search")
async def search(q: str):
    result = await es.search(index="products", query={"match": {"name": q}})
    return result["hits"]["hits"]
"""

MEILISEARCH = """\
import meilisearch
from fastapi import FastAPI

client = meilisearch.Client("http://127.0.0.1:7700", "masterKey")
app = FastAPI()


@app.get("/movies")
def search_movies(q: str):
    return client.index("movies").search(q)
"""

MEILISEARCH_ASYNC = """\
from fastapi import FastAPI
from meilisearch_python_sdk import AsyncClient

app = FastAPI()
client = AsyncClient("http://127.0.0.1:7700", "masterKey")
"""

ASYNC_TESTS = """\
import pytest
from httpx import ASGITransport, AsyncClient

from app.main import app


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_root():
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as ac:
        response = await ac.get("/")
    assert response.status_code == 200
"""

TEST_DATABASE = """\
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from app.database import Base, get_db
from app.main import app

engine = create_engine("sqlite:///./test.db", connect_args={"check_same_thread": False})
TestingSessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)


@pytest.fixture
def session():
    Base.metadata.create_all(bind=engine)
    connection = engine.connect()
    transaction = connection.begin()
    db = TestingSessionLocal(bind=connection)
    db.begin_nested()
    yield db
    db.close()
    transaction.rollback()
    connection.close()
    Base.metadata.drop_all(bind=engine)


@pytest.fixture
def client(session):
    app.dependency_overrides[get_db] = lambda: session
    yield TestClient(app)
    app.dependency_overrides.clear()
"""

TEST_MOCKING = """\
from unittest.mock import AsyncMock, patch

import httpx
import respx
from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)


@patch("app.payments.charge_card", new_callable=AsyncMock)
def test_checkout(mock_charge):
    mock_charge.return_value = {"status": "succeeded"}
    response = client.post("/checkout", json={"amount": 1000})
    assert response.status_code == 200


def test_rates(monkeypatch):
    monkeypatch.setattr("app.rates.fetch_rates", lambda: {"EUR": 1.1})
    assert client.get("/rates").json() == {"EUR": 1.1}


@respx.mock
def test_weather():
    respx.get("https://api.example.com/weather").mock(return_value=httpx.Response(200, json={}))
    assert client.get("/weather").status_code == 200


def test_signup_sends_email():
    with patch("app.main.send_email") as send_email:
        client.post("/users", json={"email": "a@example.com"})
    send_email.assert_called_once()


def test_cached(mocker):
    mocker.patch("app.main.fetch_rates", return_value={"EUR": 1.1})
    assert client.get("/rates").status_code == 200
"""

GUNICORN_CONF = """\
import multiprocessing

bind = "0.0.0.0:8000"
workers = multiprocessing.cpu_count() * 2 + 1
worker_class = "uvicorn.workers.UvicornWorker"
"""

RUN_SERVER = """\
import uvicorn

if __name__ == "__main__":
    uvicorn.run("app.main:app", host="0.0.0.0", port=8000, workers=4)
"""

HEALTH = """\
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import text
from sqlalchemy.orm import Session

from .database import get_db

app = FastAPI()
router = APIRouter()


@app.get("/health", include_in_schema=False)
async def health():
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
def ready(db: Annotated[Session, Depends(get_db)]):
    db.execute(text("SELECT 1"))
    return {"status": "ready"}
"""

PROXY = """\
import uvicorn
from fastapi import FastAPI, Request
from starlette.middleware.trustedhost import TrustedHostMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

app = FastAPI(root_path="/api/v1")
app.add_middleware(ProxyHeadersMiddleware, trusted_hosts="*")
app.add_middleware(TrustedHostMiddleware, allowed_hosts=["example.com"])


@app.get("/whoami")
def whoami(request: Request):
    client_ip = request.headers.get("X-Forwarded-For", request.client.host)
    return {"ip": client_ip, "root_path": request.scope.get("root_path")}


if __name__ == "__main__":
    uvicorn.run(app, host="0.0.0.0", port=8000, proxy_headers=True, forwarded_allow_ips="*")
"""

PYDANTIC_V1_VALIDATORS = """\
import pydantic
from pydantic import BaseModel, root_validator, validator


class UserCreate(BaseModel):
    email: str
    password: str
    password_confirm: str

    @validator("email")
    def email_must_be_lowercase(cls, value):
        return value.lower()

    @root_validator(pre=True)
    def passwords_match(cls, values):
        if values.get("password") != values.get("password_confirm"):
            raise ValueError("passwords do not match")
        return values


class Item(BaseModel):
    name: str

    @pydantic.validator("name")
    def strip_name(cls, value):
        return value.strip()
"""

PYDANTIC_V1_CONFIG = """\
from pydantic import BaseModel, BaseSettings


class Item(BaseModel):
    id: int
    name: str

    class Config:
        orm_mode = True
        schema_extra = {"example": {"id": 1, "name": "Foo"}}


class Settings(BaseSettings):
    database_url: str

    class Config:
        env_file = ".env"
        allow_population_by_field_name = True
"""

PYDANTIC_V1_METHODS = """\
from fastapi import FastAPI, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, parse_obj_as

from .models import ItemRow

app = FastAPI()
items: dict[str, dict] = {}


class Item(BaseModel):
    name: str
    price: float = 0.0


@app.patch("/items/{item_id}", response_model=Item)
async def update_item(item_id: str, item: Item):
    stored_item_model = Item(**items[item_id])
    update_data = item.dict(exclude_unset=True)
    updated_item = stored_item_model.copy(update=update_data)
    items[item_id] = jsonable_encoder(updated_item)
    return updated_item


@app.get("/items/{item_id}/raw")
async def raw_item(item_id: str):
    item = Item.parse_obj(items[item_id])
    return Response(content=item.json(), media_type="application/json")


@app.get("/items")
async def list_items():
    rows = ItemRow.all()
    return [Item.from_orm(row) for row in rows] + parse_obj_as(list[Item], list(items.values()))
"""

PYDANTIC_V1_NAMESPACE = """\
import pydantic.v1 as pydantic_v1
from pydantic.v1 import BaseModel, validator


class LegacyItem(BaseModel):
    name: str

    @validator("name")
    def strip(cls, value):
        return value.strip()


LegacyConfig = pydantic_v1.create_model("LegacyConfig", debug=(bool, False))
"""

MODERN = """\
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, Query
from pydantic import BaseModel, ConfigDict, field_validator


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield


app = FastAPI(lifespan=lifespan)


class Item(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str

    @field_validator("name")
    @classmethod
    def strip(cls, value: str) -> str:
        return value.strip()


@app.get("/items/")
async def read_items(q: Annotated[str | None, Query(max_length=50)] = None):
    return {"q": q}
"""

# ============================================================================================
# Positive cases: (topic id, file path, module, the cursor's spot in one of its lines)

POSITIVE = [
    # WebSockets beyond basics
    ("websocket-manager", "app/main.py", WS_MANAGER, "class Connection|Manager:"),
    ("websocket-manager", "app/main.py", WS_MANAGER, "self.active_|connections.append"),
    ("websocket-manager", "app/main.py", WS_MANAGER, "async def broad|cast(self"),
    ("websocket-manager", "app/main.py", WS_MANAGER, "await manager.broad|cast(f"),
    ("websocket-manager", "app/main.py", WS_MANAGER, "manager = |ConnectionManager()"),
    ("websocket-rooms", "app/chat.py", WS_ROOMS, "self.ro|oms: dict"),
    ("websocket-rooms", "app/chat.py", WS_ROOMS, "async def join(self, ro|om: str"),
    ("websocket-rooms", "app/chat.py", WS_ROOMS, '"/ws/rooms/{room_|id}"'),
    ("websocket-rooms", "app/chat.py", WS_ROOMS, "for peer in hub.rooms[room|_id]"),
    ("websocket-rooms", "app/channels.py", WS_CHANNELS, "self.chan|nels[name].append"),
    ("websocket-auth", "app/ws.py", WS_AUTH, "raise WebSocket|Exception(code"),
    ("websocket-auth", "app/ws.py", WS_AUTH, "close(code=status.WS_1008_|POLICY_VIOLATION)"),
    ("websocket-auth", "app/ws.py", WS_AUTH, "user: User = Dep|ends(get_current_user)"),
    ("websocket-auth", "app/ws.py", WS_AUTH, "WebSocket|Exception,"),
    ("websocket-auth", "app/ws.py", WS_AUTH, "close(code=10|08)"),
    ("websocket-redis", "app/ws.py", WS_REDIS, "pubsub = client.pub|sub()"),
    ("websocket-redis", "app/ws.py", WS_REDIS, "await pubsub.sub|scribe(channel)"),
    ("websocket-redis", "app/ws.py", WS_REDIS, "await client.pub|lish(channel, text)"),
    ("websocket-redis", "app/ws.py", WS_BROADCASTER, 'broadcast = Broad|cast("redis'),
    ("websocket-redis", "app/ws.py", WS_BROADCASTER, "async with broadcast.sub|scribe("),
    # GraphQL
    ("graphql-strawberry", "app/graphql.py", STRAWBERRY, "@straw|berry.type"),
    ("graphql-strawberry", "app/graphql.py", STRAWBERRY, "@strawberry.fi|eld"),
    ("graphql-strawberry", "app/graphql.py", STRAWBERRY, "graphql_app = GraphQL|Router(schema)"),
    ("graphql-strawberry", "app/graphql.py", STRAWBERRY, "strawberry.Sche|ma(query=Query)"),
    ("graphql-strawberry", "app/graphql.py", STRAWBERRY, "import straw|berry"),
    # OpenTelemetry
    ("opentelemetry", "app/main.py", OTEL, "FastAPI|Instrumentor.instrument_app(app)"),
    ("opentelemetry", "app/main.py", OTEL, "provider = Tracer|Provider(resource"),
    ("opentelemetry", "app/main.py", OTEL, "with tracer.start_as_|current_span"),
    ("opentelemetry", "app/main.py", OTEL, "tracer = trace.get_|tracer(__name__)"),
    ("opentelemetry", "app/main.py", OTEL, "from opentelemetry.instrumentation.fastapi import |F"),
    # Custom OpenAPI
    ("custom-openapi", "app/main.py", CUSTOM_OPENAPI, "app.open|api = custom_openapi"),
    ("custom-openapi", "app/main.py", CUSTOM_OPENAPI, "openapi_schema = get_open|api("),
    ("custom-openapi", "app/main.py", CUSTOM_OPENAPI, "if app.openapi_|schema:"),
    ("custom-openapi", "app/main.py", CUSTOM_OPENAPI, "def custom_|openapi():"),
    ("custom-openapi", "app/main.py", CUSTOM_OPENAPI, "openapi_|extra={"),
    # Server-Sent Events
    ("sse", "app/events.py", SSE_STARLETTE, "return EventSource|Response(event_generator())"),
    ("sse", "app/events.py", SSE_STARLETTE, "from sse_star|lette.sse import"),
    ("sse", "app/events.py", SSE_STARLETTE, "yield ServerSent|Event(data"),
    ("sse", "app/events.py", SSE_FASTAPI, "from fastapi.sse import EventSource|Response"),
    ("sse", "app/events.py", SSE_FASTAPI, "response_class=EventSource|Response"),
    ("sse", "app/events.py", SSE_STREAMING, 'media_type="text/event-|stream"'),
    # Databases
    ("sqlalchemy-async", "app/database.py", SQLALCHEMY_ASYNC, "engine = create_async_|engine("),
    ("sqlalchemy-async", "app/database.py", SQLALCHEMY_ASYNC, "SessionLocal = async_session|maker"),
    ("sqlalchemy-async", "app/database.py", SQLALCHEMY_ASYNC, "session: Annotated[Async|Session"),
    ("asyncpg", "app/db.py", ASYNCPG, "await async|pg.create_pool(dsn="),
    ("asyncpg", "app/db.py", ASYNCPG, "import async|pg"),
    ("asyncpg", "app/db.py", ASYNCPG, "conn: Annotated[async|pg.Connection"),
    ("aiomysql", "app/db.py", AIOMYSQL, "await aio|mysql.create_pool("),
    ("aiomysql", "app/db.py", AIOMYSQL, "connection.cursor(aiom|ysql.DictCursor)"),
    ("aiomysql", "app/db.py", AIOMYSQL, "import aio|mysql"),
    ("motor", "app/mongo.py", MOTOR, "from motor.motor_|asyncio import"),
    ("motor", "app/mongo.py", MOTOR, "app.state.mongo = AsyncIOMotor|Client("),
    ("connection-pooling", "app/database.py", POOLING, "pool_|size=10"),
    ("connection-pooling", "app/database.py", POOLING, "max_over|flow=20"),
    ("connection-pooling", "app/database.py", POOLING, "pool_pre_|ping=True,"),
    ("connection-pooling", "app/database.py", POOLING, "pool_re|cycle=1800,"),
    ("connection-pooling", "app/database.py", POOLING, "min_|size=5"),
    ("multiple-databases", "app/database.py", MULTI_DB, "replica_|engine = create_engine"),
    ("multiple-databases", "app/database.py", MULTI_DB, "analytics_|engine = create_engine"),
    ("multiple-databases", "app/database.py", MULTI_DB, "sessionmaker(bin|ds={"),
    ("alembic", "alembic/versions/3f1c2a9d8b7e_add_age.py", ALEMBIC_REVISION, "op.add_|column("),
    ("alembic", "alembic/versions/3f1c2a9d8b7e_add_age.py", ALEMBIC_REVISION, "op.drop_|column("),
    ("alembic", "alembic/versions/3f1c2a9d8b7e_add_age.py", ALEMBIC_REVISION, "op.create_|index("),
    ("alembic", "migrations/env.py", ALEMBIC_ENV, "context.config|ure(url=url"),
    ("alembic", "migrations/env.py", ALEMBIC_ENV, "target_|metadata = Base.metadata"),
    ("alembic", "alembic/env.py", ALEMBIC_ENV, "def run_migrations_|online()"),
    ("alembic", "alembic/env.py", ALEMBIC_ENV, "with context.begin_|transaction():"),
    # Message queues
    ("celery", "app/worker.py", CELERY_WORKER, 'celery_app = Cel|ery("worker"'),
    ("celery", "app/worker.py", CELERY_WORKER, "@celery_app.ta|sk(bind=True"),
    ("celery", "app/worker.py", CELERY_WORKER, "from cel|ery import Celery"),
    ("celery", "app/routers/users.py", CELERY_ROUTES, "send_welcome_email.de|lay(user.email)"),
    ("celery", "app/routers/users.py", CELERY_ROUTES, "celery_app.Async|Result(task_id)"),
    ("rq", "app/main.py", RQ, "from r|q import Queue"),
    ("rq", "app/main.py", RQ, "job = queue.en|queue(generate_report"),
    ("arq", "app/main.py", ARQ_APP, "from ar|q import create_pool"),
    ("arq", "app/main.py", ARQ_APP, "arq.enqueue_|job("),
    ("arq", "app/main.py", ARQ_APP, "create_pool(Redis|Settings(host"),
    ("arq", "app/worker.py", ARQ_WORKER, "class Worker|Settings:"),
    # Caching
    ("redis-cache", "app/main.py", REDIS_CACHE, "import redis.asyn|cio as redis"),
    ("redis-cache", "app/main.py", REDIS_CACHE, "app.state.redis = redis.from_|url("),
    ("redis-cache", "app/cache.py", REDIS_CLIENT, "client = Red|is(host="),
    ("redis-cache", "app/cache.py", REDIS_CLIENT, "replica = Redis.from_|url("),
    ("redis-cache", "app/cache.py", REDIS_CLIENT, "from red|is.asyncio import Redis"),
    ("memcached", "app/main.py", MEMCACHED, "aiom|cache.Client("),
    ("memcached", "app/main.py", MEMCACHED, "import aiom|cache"),
    ("memcached", "app/cache.py", PYMEMCACHE, "from pymem|cache.client.base"),
    ("fastapi-cache", "app/main.py", FASTAPI_CACHE, "@cac|he(expire=60)"),
    ("fastapi-cache", "app/main.py", FASTAPI_CACHE, "FastAPI|Cache.init(RedisBackend"),
    ("fastapi-cache", "app/main.py", FASTAPI_CACHE, "from fastapi_|cache.decorator import cache"),
    # Search
    ("elasticsearch", "app/search.py", ELASTICSEARCH, 'es = AsyncElastic|search("http'),
    ("elasticsearch", "app/search.py", ELASTICSEARCH, "from elastic|search import"),
    ("meilisearch", "app/search.py", MEILISEARCH, "client = meili|search.Client("),
    ("meilisearch", "app/search.py", MEILISEARCH, "import meili|search"),
    ("meilisearch", "app/search.py", MEILISEARCH_ASYNC, "from meilisearch_python_|sdk"),
    # Advanced testing
    ("async-tests", "tests/test_main.py", ASYNC_TESTS, "@pytest.mark.an|yio"),
    ("async-tests", "tests/test_main.py", ASYNC_TESTS, "transport=ASGI|Transport(app=app)"),
    ("async-tests", "tests/test_main.py", ASYNC_TESTS, "async with Async|Client(transport"),
    ("async-tests", "tests/test_main.py", ASYNC_TESTS, "def anyio_|backend():"),
    ("async-tests", "tests/test_main.py", ASYNC_TESTS, "from httpx import ASGITransport, Async|C"),
    ("test-database", "tests/conftest.py", TEST_DATABASE, "Base.metadata.create_|all("),
    ("test-database", "tests/conftest.py", TEST_DATABASE, "db.begin_|nested()"),
    ("test-database", "tests/conftest.py", TEST_DATABASE, "transaction.roll|back()"),
    ("test-database", "tests/test_items.py", TEST_DATABASE, "Base.metadata.drop_|all("),
    ("test-mocking", "tests/test_api.py", TEST_MOCKING, '@pat|ch("app.payments'),
    ("test-mocking", "tests/test_api.py", TEST_MOCKING, "new_callable=Async|Mock"),
    ("test-mocking", "tests/test_api.py", TEST_MOCKING, "monkey|patch.setattr("),
    ("test-mocking", "tests/test_api.py", TEST_MOCKING, 'res|px.get("https'),
    ("test-mocking", "tests/test_api.py", TEST_MOCKING, 'with pat|ch("app.main.send_email")'),
    ("test-mocking", "tests/test_api.py", TEST_MOCKING, 'mocker.pat|ch("app.main.fetch_rates"'),
    # Deployment
    ("workers", "gunicorn.conf.py", GUNICORN_CONF, 'worker_class = "uvicorn.workers.Uvicorn|W'),
    ("workers", "gunicorn.conf.py", GUNICORN_CONF, "work|ers = multiprocessing.cpu_count()"),
    ("workers", "run.py", RUN_SERVER, "port=8000, work|ers=4)"),
    ("health-checks", "app/main.py", HEALTH, '@app.get("/hea|lth"'),
    ("health-checks", "app/routers/health.py", HEALTH, '@router.get("/rea|dyz"'),
    ("proxy-headers", "app/main.py", PROXY, 'app = FastAPI(root_|path="/api/v1")'),
    ("proxy-headers", "app/main.py", PROXY, "app.add_middleware(ProxyHeaders|Middleware"),
    ("proxy-headers", "app/main.py", PROXY, 'request.headers.get("X-Forwarded-|For"'),
    ("proxy-headers", "app/main.py", PROXY, "proxy_|headers=True"),
    # Pydantic v1 idioms
    ("pydantic-v1-validators", "app/schemas.py", PYDANTIC_V1_VALIDATORS, '@vali|dator("email")'),
    ("pydantic-v1-validators", "app/schemas.py", PYDANTIC_V1_VALIDATORS, "@root_|validator("),
    ("pydantic-v1-validators", "app/schemas.py", PYDANTIC_V1_VALIDATORS, "@pydantic.vali|dator"),
    ("pydantic-v1-config", "app/schemas.py", PYDANTIC_V1_CONFIG, "orm_|mode = True"),
    ("pydantic-v1-config", "app/schemas.py", PYDANTIC_V1_CONFIG, "schema_|extra = {"),
    ("pydantic-v1-config", "app/schemas.py", PYDANTIC_V1_CONFIG, "allow_population_|by_field"),
    ("pydantic-v1-config", "app/schemas.py", PYDANTIC_V1_CONFIG, "    class Con|fig:"),
    ("pydantic-v1-methods", "app/main.py", PYDANTIC_V1_METHODS, "item.di|ct(exclude_unset=True)"),
    ("pydantic-v1-methods", "app/main.py", PYDANTIC_V1_METHODS, "stored_item_model.co|py(update="),
    ("pydantic-v1-methods", "app/main.py", PYDANTIC_V1_METHODS, "content=item.js|on()"),
    ("pydantic-v1-methods", "app/main.py", PYDANTIC_V1_METHODS, "Item.parse_|obj(items"),
    ("pydantic-v1-methods", "app/main.py", PYDANTIC_V1_METHODS, "Item.from_|orm(row)"),
    ("pydantic-v1-methods", "app/main.py", PYDANTIC_V1_METHODS, "+ parse_obj_|as(list[Item]"),
    ("pydantic-v1-namespace", "app/legacy.py", PYDANTIC_V1_NAMESPACE, "from pydantic.|v1 import"),
    ("pydantic-v1-namespace", "app/legacy.py", PYDANTIC_V1_NAMESPACE, "import pydantic.v|1 as"),
]

#: Version gates need an installed version: (topic, path, module, cursor, installed).
POSITIVE_GATED = [
    ("newer-version", "app/main.py", MODERN, "q: Annot|ated[str", OLD),
    ("newer-version", "app/main.py", MODERN, "model_config = Config|Dict(", OLD),
    ("newer-version", "app/main.py", MODERN, "app = FastAPI(life|span=lifespan)", OLD),
    ("newer-version", "app/main.py", MODERN, "@field_|validator", OLD),
    ("newer-version", "app/events.py", SSE_FASTAPI, "from fastapi.s|se import", OLD),
]


def _case_ids(cases) -> list[str]:
    counter: Counter[str] = Counter()
    names = []
    for case in cases:
        counter[case[0]] += 1
        names.append(f"{case[0]}-{counter[case[0]]}")
    return names


@pytest.mark.parametrize(
    ("topic_id", "path", "module", "fragment"), POSITIVE, ids=_case_ids(POSITIVE)
)
@pytest.mark.parametrize("installed", [{}, CURRENT], ids=["unknown-versions", "current-versions"])
def test_realistic_code_fires_its_topic(topic_id, path, module, fragment, installed):
    found = ids(detect_at(module, fragment, path, installed))
    assert topic_id in found, f"{topic_id} not detected on {locate(module, fragment)[0]!r}"


@pytest.mark.parametrize(
    ("topic_id", "path", "module", "fragment"), POSITIVE, ids=_case_ids(POSITIVE)
)
def test_the_cursor_sits_on_the_construct(topic_id, path, module, fragment):
    assert topic_id in topic_ids_at_cursor(module, fragment, path)


@pytest.mark.parametrize(
    ("topic_id", "path", "module", "fragment", "installed"),
    POSITIVE_GATED,
    ids=_case_ids(POSITIVE_GATED),
)
def test_new_constructs_fire_with_old_versions(topic_id, path, module, fragment, installed):
    assert topic_id in ids(detect_at(module, fragment, path, installed))


def test_every_topic_has_two_positive_cases():
    counts = Counter(case[0] for case in [*POSITIVE, *POSITIVE_GATED])
    assert {topic: counts[topic] for topic in TOPIC_IDS if counts[topic] < 2} == {}
    assert set(counts) <= set(TOPIC_IDS), "cases name unknown topics"


# ============================================================================================
# Negative cases: plain Tier 1 code fires nothing, on any line

TIER1_WEBSOCKET = """\
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"Message text was: {data}")
    except WebSocketDisconnect:
        print("Client disconnected")


@app.websocket("/ws/json/{client_id}")
async def json_endpoint(websocket: WebSocket, client_id: int):
    await websocket.accept()
    while True:
        payload = await websocket.receive_json()
        await websocket.send_json({"client": client_id, "echo": payload})
"""

TIER1_CRUD = """\
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, Query, status
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from . import models, schemas

SQLALCHEMY_DATABASE_URL = "sqlite:///./sql_app.db"

engine = create_engine(SQLALCHEMY_DATABASE_URL, connect_args={"check_same_thread": False})
SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)

app = FastAPI(title="Items API", version="1.0.0")


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


SessionDep = Annotated[Session, Depends(get_db)]


@app.get("/")
async def root():
    return {"message": "Hello World"}


@app.get("/items/", response_model=list[schemas.Item])
def read_items(
    db: SessionDep,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(le=100)] = 100,
    q: Annotated[str | None, Query(max_length=50)] = None,
):
    return db.query(models.Item).offset(skip).limit(limit).all()


@app.get("/items/{item_id}", response_model=schemas.Item)
def read_item(item_id: Annotated[int, Path(title="The ID of the item", ge=1)], db: SessionDep):
    item = db.get(models.Item, item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="Item not found")
    return item


@app.post("/items/", response_model=schemas.Item, status_code=status.HTTP_201_CREATED)
def create_item(item: schemas.ItemCreate, db: SessionDep):
    db_item = models.Item(**item.model_dump())
    db.add(db_item)
    db.commit()
    db.refresh(db_item)
    return db_item


@app.patch("/items/{item_id}", response_model=schemas.Item)
def update_item(item_id: int, item: schemas.ItemUpdate, db: SessionDep):
    db_item = db.get(models.Item, item_id)
    if db_item is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Item not found")
    for key, value in item.model_dump(exclude_unset=True).items():
        setattr(db_item, key, value)
    db.commit()
    return db_item


@app.delete("/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_item(item_id: int, db: SessionDep):
    db_item = db.get(models.Item, item_id)
    if db_item is None:
        raise HTTPException(404)
    db.delete(db_item)
    db.commit()
"""

TIER1_CORS = """\
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

app = FastAPI()

origins = [
    "http://localhost",
    "http://localhost:8080",
]

app.add_middleware(
    CORSMiddleware,
    allow_origins=origins,
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],
)


@app.get("/")
async def main():
    return {"message": "Hello World"}
"""

TIER1_BACKGROUND = """\
from fastapi import BackgroundTasks, FastAPI

app = FastAPI()


def write_notification(email: str, message=""):
    with open("log.txt", mode="w") as email_file:
        content = f"notification for {email}: {message}"
        email_file.write(content)


@app.post("/send-notification/{email}")
async def send_notification(email: str, background_tasks: BackgroundTasks):
    background_tasks.add_task(write_notification, email, message="some notification")
    return {"message": "Notification sent in the background"}
"""

TIER1_LIFESPAN = """\
from contextlib import asynccontextmanager

from fastapi import FastAPI


def fake_answer_to_everything_ml_model(x: float):
    return x * 42


ml_models = {}


@asynccontextmanager
async def lifespan(app: FastAPI):
    ml_models["answer_to_everything"] = fake_answer_to_everything_ml_model
    yield
    ml_models.clear()


app = FastAPI(lifespan=lifespan)


@app.get("/predict")
async def predict(x: float):
    result = ml_models["answer_to_everything"](x)
    return {"result": result}
"""

TIER1_MODELS = """\
from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator


class UserBase(BaseModel):
    email: EmailStr
    full_name: str | None = None


class UserCreate(UserBase):
    password: str = Field(min_length=8)
    password_confirm: str

    @field_validator("password")
    @classmethod
    def password_has_digit(cls, value: str) -> str:
        if not any(char.isdigit() for char in value):
            raise ValueError("password needs a digit")
        return value

    @model_validator(mode="after")
    def passwords_match(self) -> "UserCreate":
        if self.password != self.password_confirm:
            raise ValueError("passwords do not match")
        return self


class User(UserBase):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime


def to_payload(user: User) -> dict:
    data = user.model_dump(exclude={"created_at"})
    return User.model_validate(data).model_dump(mode="json")
"""

TIER1_AUTH = """\
from datetime import datetime, timedelta, timezone
from typing import Annotated

import jwt
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from jwt.exceptions import InvalidTokenError
from pwdlib import PasswordHash
from pydantic import BaseModel

SECRET_KEY = "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7"
ALGORITHM = "HS256"
ACCESS_TOKEN_EXPIRE_MINUTES = 30

password_hash = PasswordHash.recommended()
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")
app = FastAPI()


class Token(BaseModel):
    access_token: str
    token_type: str


class TokenData(BaseModel):
    username: str | None = None


def verify_password(plain_password: str, hashed_password: str) -> bool:
    return password_hash.verify(plain_password, hashed_password)


def get_password_hash(password: str) -> str:
    return password_hash.hash(password)


def create_access_token(data: dict, expires_delta: timedelta | None = None) -> str:
    to_encode = data.copy()
    expire = datetime.now(timezone.utc) + (expires_delta or timedelta(minutes=15))
    to_encode.update({"exp": expire})
    return jwt.encode(to_encode, SECRET_KEY, algorithm=ALGORITHM)


async def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]):
    credentials_exception = HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Could not validate credentials",
        headers={"WWW-Authenticate": "Bearer"},
    )
    try:
        payload = jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM])
        username = payload.get("sub")
        if username is None:
            raise credentials_exception
        token_data = TokenData(username=username)
    except InvalidTokenError:
        raise credentials_exception
    return token_data


@app.post("/token")
async def login(form_data: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    access_token_expires = timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES)
    access_token = create_access_token(
        data={"sub": form_data.username}, expires_delta=access_token_expires
    )
    return Token(access_token=access_token, token_type="bearer")


@app.get("/users/me/")
async def read_users_me(current_user: Annotated[TokenData, Depends(get_current_user)]):
    return current_user
"""

TIER1_TESTCLIENT = """\
import pytest
from fastapi.testclient import TestClient

from app.main import app, get_current_user


def override_get_current_user():
    return {"username": "alice"}


@pytest.fixture
def client():
    app.dependency_overrides[get_current_user] = override_get_current_user
    with TestClient(app) as test_client:
        yield test_client
    app.dependency_overrides.clear()


def test_read_item(client):
    response = client.get("/items/foo", headers={"X-Token": "coneofsilence"})
    assert response.status_code == 200
    assert response.json() == {"id": "foo", "title": "Foo"}


def test_update_item(client):
    response = client.patch("/items/foo", json={"title": "Bar"})
    assert response.status_code == 200


def test_read_missing_item(client):
    response = client.get("/items/bar")
    assert response.status_code == 404
    assert response.json() == {"detail": "Item not found"}
"""

TIER1_SETTINGS = """\
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    app_name: str = "Awesome API"
    admin_email: str = "admin@example.com"
    items_per_user: int = 50
    database_url: str = "sqlite:///./app.db"
    redis_url: str = "redis://localhost:6379/0"

    model_config = SettingsConfigDict(env_file=".env")


@lru_cache
def get_settings() -> Settings:
    return Settings()


app = FastAPI()


@app.get("/info")
async def info(settings: Annotated[Settings, Depends(get_settings)]):
    return {"app_name": settings.app_name, "admin_email": settings.admin_email}
"""

#: Not Tier 1 as such, but ordinary app code: calling another HTTP API and reading a raw body.
PLAIN_HTTP_CLIENT = """\
import httpx
from fastapi import FastAPI, Request
from pydantic import BaseModel

app = FastAPI()


class Rates(BaseModel):
    base: str
    rates: dict[str, float]


@app.get("/rates", response_model=Rates)
async def rates():
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get("https://api.example.com/rates")
    response.raise_for_status()
    return response.json()


@app.get("/weather/{city}")
async def weather(city: str):
    async with httpx.AsyncClient() as http:
        r = await http.get(f"https://api.example.com/weather/{city}")
        res = await http.get(f"https://api.example.com/alerts/{city}")
    return {"weather": r.json(), "alerts": res.json()}


@app.post("/webhook")
async def webhook(request: Request):
    payload = await request.json()
    return {"received": payload}
"""

NEGATIVE = [
    ("app/main.py", TIER1_WEBSOCKET),
    ("app/main.py", TIER1_CRUD),
    ("app/main.py", TIER1_CORS),
    ("app/main.py", TIER1_BACKGROUND),
    ("app/main.py", TIER1_LIFESPAN),
    ("app/schemas.py", TIER1_MODELS),
    ("app/auth.py", TIER1_AUTH),
    ("tests/test_main.py", TIER1_TESTCLIENT),
    ("tests/conftest.py", TIER1_TESTCLIENT),
    ("app/config.py", TIER1_SETTINGS),
    ("app/rates.py", PLAIN_HTTP_CLIENT),
]
NEGATIVE_IDS = [
    "websocket-echo",
    "crud",
    "cors",
    "background-tasks",
    "lifespan",
    "pydantic-v2-models",
    "oauth2-jwt",
    "testclient",
    "testclient-conftest",
    "settings",
    "httpx-client",
]


@pytest.mark.parametrize(("path", "module"), NEGATIVE, ids=NEGATIVE_IDS)
@pytest.mark.parametrize("installed", [{}, CURRENT], ids=["unknown-versions", "current-versions"])
def test_tier1_code_detects_nothing(path, module, installed):
    analysis = analyse(module)
    fired = {}
    for number, line in enumerate(module.splitlines(), start=1):
        found = detect(line, analysis, path, KB.topics, KB.version_gates, installed)
        if found:
            fired[f"{number}: {line}"] = ids(found)
    assert fired == {}


@pytest.mark.parametrize(("path", "module"), NEGATIVE, ids=NEGATIVE_IDS)
@pytest.mark.parametrize("where", ["line-start", "whole-line"])
def test_tier1_code_has_no_topic_under_the_cursor(path, module, where):
    analysis = analyse(module)
    fired = {}
    for number, line in enumerate(module.splitlines(), start=1):
        end = 0 if where == "line-start" else len(line)
        found = topics_at(line, 0, end, analysis, path, KB.topics)
        if found:
            fired[f"{number}: {line}"] = [topic.id for topic in found]
    assert fired == {}


@pytest.mark.parametrize(("path", "module"), NEGATIVE, ids=NEGATIVE_IDS)
def test_tier1_module_as_a_selection_detects_nothing(path, module):
    assert detect(module, analyse(module), path, KB.topics, KB.version_gates, CURRENT) == []


# ============================================================================================
# Span semantics: ``detect`` reads the whole line, ``topics_at`` the cursor's columns

TWO_CONSTRUCTS = """\
from sqlalchemy.ext.asyncio import create_async_engine

engine = create_async_engine(DATABASE_URL, pool_size=10)  # one engine for the whole process
"""


def _topics_at(fragment: str, start_offset: int = 0, end_fragment: str | None = None):
    line, start = locate(TWO_CONSTRUCTS, fragment)
    start += start_offset
    end = locate(TWO_CONSTRUCTS, end_fragment)[1] if end_fragment else start
    found = topics_at(line, start, end, analyse(TWO_CONSTRUCTS), "app/db.py", KB.topics)
    return [topic.id for topic in found]


def test_detect_reads_the_whole_line():
    line, _ = locate(TWO_CONSTRUCTS, "|engine = ")
    found = detect(line, analyse(TWO_CONSTRUCTS), "app/db.py", KB.topics)
    assert ids(found) == ["sqlalchemy-async", "connection-pooling"]


def test_span_picks_the_construct_it_overlaps():
    assert _topics_at("create_async|_engine(") == ["sqlalchemy-async"]
    assert _topics_at("pool_|size=10") == ["connection-pooling"]


def test_span_away_from_every_match_finds_nothing():
    assert _topics_at("one engine for the |whole process") == []
    assert _topics_at("|engine = create") == []


def test_span_touching_the_end_of_a_match_still_counts():
    assert _topics_at("create_async_engine|(") == ["sqlalchemy-async"]
    assert _topics_at("create_async_engine|(", start_offset=1) == []


def test_selection_span_covering_both_constructs_finds_both():
    assert _topics_at("|create_async_engine(", end_fragment="pool_size=10|)") == [
        "sqlalchemy-async",
        "connection-pooling",
    ]


def test_multiline_selection_finds_topics_on_any_line():
    selection = "\n".join(WS_MANAGER.splitlines()[5:20])
    found = detect(selection, analyse(WS_MANAGER), "app/main.py", KB.topics, KB.version_gates)
    assert ids(found) == ["websocket-manager"]


def test_a_topic_is_reported_once_per_call():
    line, _ = locate(WS_MANAGER, "|for connection in self.active_connections:")
    both = line + "  # broadcast(ConnectionManager)"
    found = detect(both, analyse(WS_MANAGER), "app/main.py", KB.topics)
    assert ids(found) == ["websocket-manager"]


def test_import_and_path_conditions_hold_for_topics_at():
    line = "    transaction.rollback()"
    analysis = analyse(TEST_DATABASE)
    column = line.index("rollback")
    assert topics_at(line, column, column, analysis, "app/db.py", KB.topics) == []
    found = topics_at(line, column, column, analysis, "tests/conftest.py", KB.topics)
    assert [topic.id for topic in found] == ["test-database"]


# ============================================================================================
# Version gates


def _gate_detections(found):
    return [detection for detection in found if detection.version_note is not None]


def test_annotated_with_old_fastapi_names_the_versions():
    found = detect_at(MODERN, "q: Annot|ated[str", "app/main.py", OLD)
    (gate,) = _gate_detections(found)
    assert gate.topic.id == "newer-version"
    assert "Annotated" in gate.display_title
    assert "0.95" in gate.display_title
    assert "0.90.0" in gate.display_title
    assert "0.90.0" in gate.version_note
    assert "0.95.0" in gate.version_note
    assert "new in FastAPI" in gate.query
    assert "Annotated" in gate.query


def test_annotated_int_query_with_old_fastapi():
    module = "from typing import Annotated\n\nfrom fastapi import Query\n\n"
    module += "def read(limit: Annotated[int, Query()] = 10): ...\n"
    found = detect_at(module, "Annotated[in|t, Query()]", "app/main.py", OLD)
    (gate,) = _gate_detections(found)
    assert "Annotated" in gate.title and "0.95" in gate.title
    assert "0.90.0" in gate.version_note
    assert "new in FastAPI" in gate.query


def test_config_dict_with_pydantic_one():
    found = detect_at(MODERN, "model_config = Config|Dict(", "app/schemas.py", OLD)
    (gate,) = _gate_detections(found)
    assert gate.topic.id == "newer-version"
    assert "Pydantic" in gate.title and "2.0" in gate.title
    assert "1.10.13" in gate.version_note
    assert "new in Pydantic" in gate.query


GATED_LINES = [
    ("q: Annot|ated[str", MODERN),
    ("model_config = Config|Dict(", MODERN),
    ("app = FastAPI(life|span=lifespan)", MODERN),
    ("@field_|validator", MODERN),
    ("from fastapi.s|se import", SSE_FASTAPI),
    ("response_class=EventSource|Response", SSE_FASTAPI),
]


@pytest.mark.parametrize(("fragment", "module"), GATED_LINES)
def test_gates_fire_with_old_versions(fragment, module):
    assert _gate_detections(detect_at(module, fragment, "app/main.py", OLD))


@pytest.mark.parametrize(("fragment", "module"), GATED_LINES)
@pytest.mark.parametrize("installed", [{}, CURRENT], ids=["unknown-versions", "current-versions"])
def test_gates_stay_quiet_with_current_or_unknown_versions(fragment, module, installed):
    assert _gate_detections(detect_at(module, fragment, "app/main.py", installed)) == []


def test_gates_read_the_whole_line():
    line, _ = locate(MODERN, "|async def read_items")
    found = detect(line, analyse(MODERN), "app/main.py", KB.topics, KB.version_gates, OLD)
    assert [gate.title for gate in found] == [
        "Annotated parameters needs FastAPI ≥ 0.95.0 (you have 0.90.0)"
    ]


def test_gate_compares_versions_not_strings():
    found = detect_at(MODERN, "q: Annot|ated[", "app/main.py", {"fastapi": Version("0.100.0")})
    assert _gate_detections(found) == []


def test_every_gate_has_a_firing_line():
    fired = set()
    for fragment, module in GATED_LINES:
        line, column = locate(module, fragment)
        for gate in KB.version_gates:
            if any(m.start() <= column <= m.end() for m in gate.compiled.finditer(line)):
                fired.add(gate.feature)
    assert fired == {gate.feature for gate in KB.version_gates}


def test_versions_with_other_packages_only_fire_no_gate():
    found = detect_at(MODERN, "q: Annot|ated[", "app/main.py", {"pydantic": Version("1.10.13")})
    assert _gate_detections(found) == []


# ============================================================================================
# Topic metadata

LIBRARY_ID = re.compile(r"^/[^/]+/[^/]+$")
#: words, dots, hyphens: a query names things, it never carries source code
QUERY = re.compile(r"[\w.\- ]+")


@pytest.mark.parametrize("topic", KB.topics, ids=TOPIC_IDS)
def test_topic_metadata(topic):
    if topic.library_id is not None:
        assert LIBRARY_ID.match(topic.library_id), topic.library_id
    else:
        assert topic.library_name.strip(), "an unpinned topic needs a library name to resolve"
    assert topic.title.strip()
    assert topic.query.strip()
    assert len(topic.query) <= 500
    assert QUERY.fullmatch(topic.query), f"code-like characters in {topic.query!r}"
    assert topic.curated.strip()
    assert topic.docs.startswith("https://")


@pytest.mark.parametrize(("fragment", "module"), GATED_LINES)
def test_gate_queries_are_words_too(fragment, module):
    for detection in _gate_detections(detect_at(module, fragment, "app/main.py", OLD)):
        assert len(detection.query) <= 500
        assert QUERY.fullmatch(detection.query), detection.query


def test_topic_ids_are_unique():
    assert len(TOPIC_IDS) == len(set(TOPIC_IDS))

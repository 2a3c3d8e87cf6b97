"""The Tier 2 detector against the shipped topics.

Realistic code fires each topic on the cursor's line, plain Tier 1 code fires nothing, ``detect``
reads the whole line while ``topics_at`` keeps the matches that overlap the cursor's columns, and
version gates fire only for known old versions.  Pure unit tests: no server, no network.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from pathlib import Path

import pytest
from packaging.version import Version

from fastapi_ls import knowledge
from fastapi_ls.analysis import analyse
from fastapi_ls.tier2 import detect, topics_at

KB = knowledge.load()
TOPIC_IDS = [topic.id for topic in KB.topics]

CURRENT = {"fastapi": Version("0.165.0"), "pydantic": Version("2.14.4")}
OLD = {"fastapi": Version("0.90.0"), "pydantic": Version("1.10.13")}

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tier2"

#: the cursor inside a case's line fragment
CURSOR = "|"


@functools.cache
def source(name: str) -> str:
    """The text of a corpus file, by its path under ``tests/fixtures/tier2``."""
    return (FIXTURES / name).read_text(encoding="utf-8")


@functools.cache
def analysis_of(name: str):
    return analyse(source(name))


def locate_in(module: str, fragment: str) -> tuple[str, int]:
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


def locate(name: str, fragment: str) -> tuple[str, int]:
    return locate_in(source(name), fragment)


def detect_at(name: str, fragment: str, path: str, installed: dict[str, Version] | None = None):
    """``detect`` on the cursor's line (the whole line counts)."""
    line, _ = locate(name, fragment)
    return detect(line, analysis_of(name), path, KB.topics, KB.version_gates, installed)


def topic_ids_at_cursor(name: str, fragment: str, path: str) -> list[str]:
    """``topics_at`` for the cursor's column: only matches the cursor touches."""
    line, column = locate(name, fragment)
    found = topics_at(line, column, column, analysis_of(name), path, KB.topics)
    return [topic.id for topic in found]


def ids(detections) -> list[str]:
    return [detection.topic.id for detection in detections]


# ============================================================================================
# Positive cases: (topic id, the file's path in its project, the corpus file, the cursor's spot
# in one of its lines)

POSITIVE = [
    # WebSockets beyond basics
    ("websocket-manager", "app/main.py", "ws_manager.py", "class Connection|Manager:"),
    (
        "websocket-manager",
        "app/main.py",
        "ws_manager.py",
        "self.active_|connections.append",
    ),
    ("websocket-manager", "app/main.py", "ws_manager.py", "async def broad|cast(self"),
    ("websocket-manager", "app/main.py", "ws_manager.py", "await manager.broad|cast(f"),
    ("websocket-manager", "app/main.py", "ws_manager.py", "manager = |ConnectionManager()"),
    ("websocket-rooms", "app/chat.py", "ws_rooms.py", "self.ro|oms: dict"),
    ("websocket-rooms", "app/chat.py", "ws_rooms.py", "async def join(self, ro|om: str"),
    ("websocket-rooms", "app/chat.py", "ws_rooms.py", '"/ws/rooms/{room_|id}"'),
    ("websocket-rooms", "app/chat.py", "ws_rooms.py", "for peer in hub.rooms[room|_id]"),
    ("websocket-rooms", "app/channels.py", "ws_channels.py", "self.chan|nels[name].append"),
    ("websocket-auth", "app/ws.py", "ws_auth.py", "raise WebSocket|Exception(code"),
    (
        "websocket-auth",
        "app/ws.py",
        "ws_auth.py",
        "close(code=status.WS_1008_|POLICY_VIOLATION)",
    ),
    (
        "websocket-auth",
        "app/ws.py",
        "ws_auth.py",
        "user: User = Dep|ends(get_current_user)",
    ),
    ("websocket-auth", "app/ws.py", "ws_auth.py", "WebSocket|Exception,"),
    ("websocket-auth", "app/ws.py", "ws_auth.py", "close(code=10|08)"),
    ("websocket-redis", "app/ws.py", "ws_redis.py", "pubsub = client.pub|sub()"),
    ("websocket-redis", "app/ws.py", "ws_redis.py", "await pubsub.sub|scribe(channel)"),
    ("websocket-redis", "app/ws.py", "ws_redis.py", "await client.pub|lish(channel, text)"),
    ("redis-cache", "app/ws.py", "ws_redis.py", "pubsub = cli|ent.pubsub()"),
    ("redis-cache", "app/ws.py", "ws_redis.py", "await cli|ent.publish(channel, text)"),
    ("websocket-redis", "app/ws.py", "ws_broadcaster.py", 'broadcast = Broad|cast("redis'),
    (
        "websocket-redis",
        "app/ws.py",
        "ws_broadcaster.py",
        "async with broadcast.sub|scribe(",
    ),
    # GraphQL
    ("graphql-strawberry", "app/graphql.py", "strawberry.py", "@straw|berry.type"),
    ("graphql-strawberry", "app/graphql.py", "strawberry.py", "@strawberry.fi|eld"),
    (
        "graphql-strawberry",
        "app/graphql.py",
        "strawberry.py",
        "graphql_app = GraphQL|Router(schema)",
    ),
    (
        "graphql-strawberry",
        "app/graphql.py",
        "strawberry.py",
        "strawberry.Sche|ma(query=Query)",
    ),
    ("graphql-strawberry", "app/graphql.py", "strawberry.py", "import straw|berry"),
    # OpenTelemetry
    ("opentelemetry", "app/main.py", "otel.py", "FastAPI|Instrumentor.instrument_app(app)"),
    ("opentelemetry", "app/main.py", "otel.py", "provider = Tracer|Provider(resource"),
    ("opentelemetry", "app/main.py", "otel.py", "with tracer.start_as_|current_span"),
    ("opentelemetry", "app/main.py", "otel.py", "tracer = trace.get_|tracer(__name__)"),
    (
        "opentelemetry",
        "app/main.py",
        "otel.py",
        "from opentelemetry.instrumentation.fastapi import |F",
    ),
    # Custom OpenAPI
    ("custom-openapi", "app/main.py", "custom_openapi.py", "app.open|api = custom_openapi"),
    (
        "custom-openapi",
        "app/main.py",
        "custom_openapi.py",
        "openapi_schema = get_open|api(",
    ),
    ("custom-openapi", "app/main.py", "custom_openapi.py", "if app.openapi_|schema:"),
    ("custom-openapi", "app/main.py", "custom_openapi.py", "def custom_|openapi():"),
    ("custom-openapi", "app/main.py", "custom_openapi.py", "openapi_|extra={"),
    # Server-Sent Events
    (
        "sse",
        "app/events.py",
        "sse_starlette.py",
        "return EventSource|Response(event_generator())",
    ),
    ("sse", "app/events.py", "sse_starlette.py", "from sse_star|lette.sse import"),
    ("sse", "app/events.py", "sse_starlette.py", "yield ServerSent|Event(data"),
    (
        "sse",
        "app/events.py",
        "sse_fastapi.py",
        "from fastapi.sse import EventSource|Response",
    ),
    ("sse", "app/events.py", "sse_fastapi.py", "response_class=EventSource|Response"),
    ("sse", "app/events.py", "sse_streaming.py", 'media_type="text/event-|stream"'),
    # Databases
    (
        "sqlalchemy-async",
        "app/database.py",
        "sqlalchemy_async.py",
        "engine = create_async_|engine(",
    ),
    (
        "sqlalchemy-async",
        "app/database.py",
        "sqlalchemy_async.py",
        "SessionLocal = async_session|maker",
    ),
    (
        "sqlalchemy-async",
        "app/database.py",
        "sqlalchemy_async.py",
        "session: Annotated[Async|Session",
    ),
    ("asyncpg", "app/db.py", "asyncpg.py", "await async|pg.create_pool(dsn="),
    ("asyncpg", "app/db.py", "asyncpg.py", "import async|pg"),
    ("asyncpg", "app/db.py", "asyncpg.py", "conn: Annotated[async|pg.Connection"),
    ("aiomysql", "app/db.py", "aiomysql.py", "await aio|mysql.create_pool("),
    ("aiomysql", "app/db.py", "aiomysql.py", "connection.cursor(aiom|ysql.DictCursor)"),
    ("aiomysql", "app/db.py", "aiomysql.py", "import aio|mysql"),
    ("motor", "app/mongo.py", "motor.py", "from motor.motor_|asyncio import"),
    ("motor", "app/mongo.py", "motor.py", "app.state.mongo = AsyncIOMotor|Client("),
    ("connection-pooling", "app/database.py", "pooling.py", "pool_|size=10"),
    ("connection-pooling", "app/database.py", "pooling.py", "max_over|flow=20"),
    ("connection-pooling", "app/database.py", "pooling.py", "pool_pre_|ping=True,"),
    ("connection-pooling", "app/database.py", "pooling.py", "pool_re|cycle=1800,"),
    ("connection-pooling", "app/database.py", "pooling.py", "min_|size=5"),
    ("sqlalchemy-async", "app/database.py", "pooling.py", "engine = create_async_|engine("),
    ("asyncpg", "app/database.py", "pooling.py", "return await async|pg.create_pool("),
    (
        "multiple-databases",
        "app/database.py",
        "multi_db.py",
        "replica_|engine = create_engine",
    ),
    (
        "multiple-databases",
        "app/database.py",
        "multi_db.py",
        "analytics_|engine = create_engine",
    ),
    ("multiple-databases", "app/database.py", "multi_db.py", "sessionmaker(bin|ds={"),
    (
        "alembic",
        "alembic/versions/3f1c2a9d8b7e_add_age.py",
        "alembic_revision.py",
        "op.add_|column(",
    ),
    (
        "alembic",
        "alembic/versions/3f1c2a9d8b7e_add_age.py",
        "alembic_revision.py",
        "op.drop_|column(",
    ),
    (
        "alembic",
        "alembic/versions/3f1c2a9d8b7e_add_age.py",
        "alembic_revision.py",
        "op.create_|index(",
    ),
    ("alembic", "migrations/env.py", "alembic_env.py", "context.config|ure(url=url"),
    ("alembic", "migrations/env.py", "alembic_env.py", "target_|metadata = Base.metadata"),
    ("alembic", "alembic/env.py", "alembic_env.py", "def run_migrations_|online()"),
    ("alembic", "alembic/env.py", "alembic_env.py", "with context.begin_|transaction():"),
    # Message queues
    ("celery", "app/worker.py", "celery_worker.py", 'celery_app = Cel|ery("worker"'),
    ("celery", "app/worker.py", "celery_worker.py", "@celery_app.ta|sk(bind=True"),
    ("celery", "app/worker.py", "celery_worker.py", "from cel|ery import Celery"),
    (
        "celery",
        "app/routers/users.py",
        "celery_routes.py",
        "send_welcome_email.de|lay(user.email)",
    ),
    (
        "celery",
        "app/routers/users.py",
        "celery_routes.py",
        "celery_app.Async|Result(task_id)",
    ),
    ("rq", "app/main.py", "rq.py", "from r|q import Queue"),
    ("rq", "app/main.py", "rq.py", "job = queue.en|queue(generate_report"),
    ("arq", "app/main.py", "arq_app.py", "from ar|q import create_pool"),
    ("arq", "app/main.py", "arq_app.py", "arq.enqueue_|job("),
    ("arq", "app/main.py", "arq_app.py", "create_pool(Redis|Settings(host"),
    ("arq", "app/worker.py", "arq_worker.py", "class Worker|Settings:"),
    # Caching
    ("redis-cache", "app/main.py", "redis_cache.py", "import redis.asyn|cio as redis"),
    ("redis-cache", "app/main.py", "redis_cache.py", "app.state.redis = redis.from_|url("),
    ("redis-cache", "app/cache.py", "redis_client.py", "client = Red|is(host="),
    ("redis-cache", "app/cache.py", "redis_client.py", "replica = Redis.from_|url("),
    ("redis-cache", "app/cache.py", "redis_client.py", "from red|is.asyncio import Redis"),
    ("memcached", "app/main.py", "memcached.py", "aiom|cache.Client("),
    ("memcached", "app/main.py", "memcached.py", "import aiom|cache"),
    ("memcached", "app/cache.py", "pymemcache.py", "from pymem|cache.client.base"),
    ("fastapi-cache", "app/main.py", "fastapi_cache.py", "@cac|he(expire=60)"),
    ("fastapi-cache", "app/main.py", "fastapi_cache.py", "FastAPI|Cache.init(RedisBackend"),
    ("redis-cache", "app/main.py", "fastapi_cache.py", "RedisBackend(red|is)"),
    (
        "fastapi-cache",
        "app/main.py",
        "fastapi_cache.py",
        "from fastapi_|cache.decorator import cache",
    ),
    # Search
    (
        "elasticsearch",
        "app/search.py",
        "elasticsearch.py",
        'es = AsyncElastic|search("http',
    ),
    ("elasticsearch", "app/search.py", "elasticsearch.py", "from elastic|search import"),
    ("meilisearch", "app/search.py", "meilisearch.py", "client = meili|search.Client("),
    ("meilisearch", "app/search.py", "meilisearch.py", "import meili|search"),
    (
        "meilisearch",
        "app/search.py",
        "meilisearch_async.py",
        "from meilisearch_python_|sdk",
    ),
    # Advanced testing
    ("async-tests", "tests/test_main.py", "async_tests.py", "@pytest.mark.an|yio"),
    (
        "async-tests",
        "tests/test_main.py",
        "async_tests.py",
        "transport=ASGI|Transport(app=app)",
    ),
    (
        "async-tests",
        "tests/test_main.py",
        "async_tests.py",
        "async with Async|Client(transport",
    ),
    ("async-tests", "tests/test_main.py", "async_tests.py", "def anyio_|backend():"),
    (
        "async-tests",
        "tests/test_main.py",
        "async_tests.py",
        "from httpx import ASGITransport, Async|C",
    ),
    (
        "test-database",
        "tests/conftest.py",
        "test_database.py",
        "Base.metadata.create_|all(",
    ),
    ("test-database", "tests/conftest.py", "test_database.py", "db.begin_|nested()"),
    ("test-database", "tests/conftest.py", "test_database.py", "transaction.roll|back()"),
    (
        "test-database",
        "tests/test_items.py",
        "test_database.py",
        "Base.metadata.drop_|all(",
    ),
    ("test-mocking", "tests/test_api.py", "test_mocking.py", '@pat|ch("app.payments'),
    ("test-mocking", "tests/test_api.py", "test_mocking.py", "new_callable=Async|Mock"),
    ("test-mocking", "tests/test_api.py", "test_mocking.py", "monkey|patch.setattr("),
    ("test-mocking", "tests/test_api.py", "test_mocking.py", 'res|px.get("https'),
    (
        "test-mocking",
        "tests/test_api.py",
        "test_mocking.py",
        'with pat|ch("app.main.send_email")',
    ),
    (
        "test-mocking",
        "tests/test_api.py",
        "test_mocking.py",
        'mocker.pat|ch("app.main.fetch_rates"',
    ),
    (
        "integration-testing",
        "tests/conftest.py",
        "integration_tests.py",
        "from testcontainers.postgres import Postgres|Container",
    ),
    (
        "integration-testing",
        "tests/conftest.py",
        "integration_tests.py",
        'with Postgres|Container("postgres',
    ),
    (
        "integration-testing",
        "tests/conftest.py",
        "integration_tests.py",
        "create_engine(postgres.get_connection_|url())",
    ),
    (
        "integration-testing",
        "tests/conftest.py",
        "integration_tests.py",
        "def search_url(docker_ip, docker_|services)",
    ),
    (
        "integration-testing",
        "tests/conftest.py",
        "integration_tests.py",
        'docker_services.port_|for("search"',
    ),
    (
        "integration-testing",
        "tests/conftest.py",
        "integration_tests.py",
        "docker_services.wait_until_|responsive(",
    ),
    (
        "test-database",
        "tests/conftest.py",
        "integration_tests.py",
        "Base.metadata.create_|all(engine)",
    ),
    # Deployment
    (
        "workers",
        "gunicorn.conf.py",
        "gunicorn_conf.py",
        'worker_class = "uvicorn.workers.Uvicorn|W',
    ),
    (
        "workers",
        "gunicorn.conf.py",
        "gunicorn_conf.py",
        "work|ers = multiprocessing.cpu_count()",
    ),
    ("workers", "run.py", "run_server.py", "port=8000, work|ers=4)"),
    ("health-checks", "app/main.py", "health.py", '@app.get("/hea|lth"'),
    ("health-checks", "app/routers/health.py", "health.py", '@router.get("/rea|dyz"'),
    ("proxy-headers", "app/main.py", "proxy.py", 'app = FastAPI(root_|path="/api/v1")'),
    (
        "proxy-headers",
        "app/main.py",
        "proxy.py",
        "app.add_middleware(ProxyHeaders|Middleware",
    ),
    ("proxy-headers", "app/main.py", "proxy.py", 'request.headers.get("X-Forwarded-|For"'),
    ("proxy-headers", "app/main.py", "proxy.py", "proxy_|headers=True"),
    ("docker", "app/main.py", "docker_entry.py", 'secrets_|dir="/run/secrets"'),
    ("docker", "app/main.py", "docker_entry.py", 'Path("/.docker|env")'),
    ("docker", "app/main.py", "docker_entry.py", 'host="0.0.|0.0", port=80'),
    ("docker", "run.py", "run_server.py", 'host="0.0.0|.0", port=8000, workers'),
    ("docker", "app/main.py", "proxy.py", 'uvicorn.run(app, host="0.0|.0.0"'),
    ("docker", "gunicorn.conf.py", "gunicorn_conf.py", 'bind = "0.0.|0.0:8000"'),
    ("kubernetes", "app/routers/probes.py", "kubernetes_probes.py", '@router.get("/liv|ez"'),
    ("kubernetes", "app/routers/probes.py", "kubernetes_probes.py", '@router.get("/rea|dyz"'),
    ("health-checks", "app/routers/probes.py", "kubernetes_probes.py", '@router.get("/rea|dyz"'),
    ("health-checks", "app/routers/probes.py", "kubernetes_probes.py", '@router.get("/liv|ez"'),
    ("kubernetes", "app/routers/probes.py", "kubernetes_probes.py", 'environ.get("POD_NAME|SPACE"'),
    (
        "kubernetes",
        "app/routers/probes.py",
        "kubernetes_probes.py",
        "config.load_incluster|_config()",
    ),
    ("kubernetes", "app/routers/probes.py", "kubernetes_probes.py", "from kuber|netes import"),
    ("kubernetes", "app/routers/probes.py", "kubernetes_probes.py", "pods = client.Core|V1Api()"),
    ("kubernetes", "app/routers/health.py", "health.py", '@router.get("/rea|dyz"'),
    # Security beyond the basics
    ("oauth2-scopes", "app/auth.py", "oauth2_scopes.py", "security_scopes.scope_|str}"),
    ("oauth2-scopes", "app/auth.py", "oauth2_scopes.py", 'token_sco|pes = payload.get("scopes"'),
    ("oauth2-scopes", "app/auth.py", "oauth2_scopes.py", "if scope not in token_data.sco|pes:"),
    ("oauth2-scopes", "app/auth.py", "oauth2_scopes.py", "for scope in security_scopes.sco|pes:"),
    ("oauth2-scopes", "app/auth.py", "oauth2_scopes.py", "for scope in form_data.sco|pes if"),
    ("oauth2-scopes", "app/auth.py", "oauth2_scopes.py", '"sco|pes": granted'),
    ("api-key-management", "app/api_keys.py", "api_keys.py", "class Api|Key(Base):"),
    ("api-key-management", "app/api_keys.py", "api_keys.py", '__tablename__ = "api_|keys"'),
    ("api-key-management", "app/api_keys.py", "api_keys.py", "key_|hash: Mapped[str]"),
    ("api-key-management", "app/api_keys.py", "api_keys.py", "def hash_api_|key(raw_key"),
    ("api-key-management", "app/api_keys.py", "api_keys.py", "def generate_api_|key(db"),
    ("api-key-management", "app/api_keys.py", "api_keys.py", "def revoke_api_|key(db"),
    (
        "api-key-management",
        "app/api_keys.py",
        "api_keys.py",
        "hmac.compare_digest(record.key_|hash",
    ),
    (
        "oauth-providers",
        "app/auth.py",
        "oauth_providers.py",
        "from authlib.integrations.star|lette",
    ),
    ("oauth-providers", "app/auth.py", "oauth_providers.py", "oauth = OA|uth()"),
    ("oauth-providers", "app/auth.py", "oauth_providers.py", "oauth.reg|ister("),
    ("oauth-providers", "app/auth.py", "oauth_providers.py", "server_metadata_|url="),
    ("oauth-providers", "app/auth.py", "oauth_providers.py", "oauth.google.authorize_|redirect("),
    (
        "oauth-providers",
        "app/auth.py",
        "oauth_providers.py",
        "oauth.google.authorize_access_|token",
    ),
    # Pydantic v1 idioms
    (
        "pydantic-v1-validators",
        "app/schemas.py",
        "pydantic_v1_validators.py",
        '@vali|dator("email")',
    ),
    (
        "pydantic-v1-validators",
        "app/schemas.py",
        "pydantic_v1_validators.py",
        "@root_|validator(",
    ),
    (
        "pydantic-v1-validators",
        "app/schemas.py",
        "pydantic_v1_validators.py",
        "@pydantic.vali|dator",
    ),
    ("pydantic-v1-config", "app/schemas.py", "pydantic_v1_config.py", "orm_|mode = True"),
    ("pydantic-v1-config", "app/schemas.py", "pydantic_v1_config.py", "schema_|extra = {"),
    (
        "pydantic-v1-config",
        "app/schemas.py",
        "pydantic_v1_config.py",
        "allow_population_|by_field",
    ),
    ("pydantic-v1-config", "app/schemas.py", "pydantic_v1_config.py", "    class Con|fig:"),
    (
        "pydantic-v1-methods",
        "app/main.py",
        "pydantic_v1_methods.py",
        "item.di|ct(exclude_unset=True)",
    ),
    (
        "pydantic-v1-methods",
        "app/main.py",
        "pydantic_v1_methods.py",
        "stored_item_model.co|py(update=",
    ),
    (
        "pydantic-v1-methods",
        "app/main.py",
        "pydantic_v1_methods.py",
        "content=item.js|on()",
    ),
    (
        "pydantic-v1-methods",
        "app/main.py",
        "pydantic_v1_methods.py",
        "Item.parse_|obj(items",
    ),
    ("pydantic-v1-methods", "app/main.py", "pydantic_v1_methods.py", "Item.from_|orm(row)"),
    (
        "pydantic-v1-methods",
        "app/main.py",
        "pydantic_v1_methods.py",
        "+ parse_obj_|as(list[Item]",
    ),
    (
        "pydantic-v1-namespace",
        "app/legacy.py",
        "pydantic_v1_namespace.py",
        "from pydantic.|v1 import",
    ),
    (
        "pydantic-v1-namespace",
        "app/legacy.py",
        "pydantic_v1_namespace.py",
        "import pydantic.v|1 as",
    ),
]

#: Version gates need an installed version: (topic, path, corpus file, cursor, installed).
POSITIVE_GATED = [
    ("newer-version", "app/main.py", "modern.py", "q: Annot|ated[str", OLD),
    ("newer-version", "app/main.py", "modern.py", "model_config = Config|Dict(", OLD),
    ("newer-version", "app/main.py", "modern.py", "app = FastAPI(life|span=lifespan)", OLD),
    ("newer-version", "app/main.py", "modern.py", "@field_|validator", OLD),
    ("newer-version", "app/events.py", "sse_fastapi.py", "from fastapi.s|se import", OLD),
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


# ============================================================================================
# A project labelled line by line: ``tests/fixtures/tier2/shop``, a FastAPI shop whose advanced
# code sits in modules that never import FastAPI.  Every line of its files that belongs to a
# topic is a case below; every other line belongs to none.  Unlike ``POSITIVE``, these cases
# include what the detector misses: they measure it rather than pin it.

SHOP = FIXTURES / "shop"
SHOP_FILES = sorted(
    path.relative_to(SHOP).as_posix()
    for path in SHOP.rglob("*.py")
    if path.read_text(encoding="utf-8").strip()
)
REVISION = "migrations/versions/2024_05_02_1200-8d1f3c0a2b4e_create_orders.py"

SHOP_CASES = [
    ("sqlalchemy-async", "app/db.py", "from sqlalchemy.ext.|asyncio import ("),
    ("sqlalchemy-async", "app/db.py", "    Async|Session,"),
    ("sqlalchemy-async", "app/db.py", "    async_session|maker,"),
    ("sqlalchemy-async", "app/db.py", "    create_async_|engine,"),
    ("sqlalchemy-async", "app/db.py", "engine = create_async_|engine("),
    ("sqlalchemy-async", "app/db.py", "SessionLocal = async_session|maker("),
    ("sqlalchemy-async", "app/db.py", "AsyncIterator[Async|Session]"),
    ("sqlalchemy-async", "app/db.py", "async with Session|Local() as session:"),
    ("sqlalchemy-async", "app/db.py", "await engine.dis|pose()"),
    ("celery", "app/tasks.py", "from cel|ery import Celery, shared_task"),
    ("celery", "app/tasks.py", 'celery_app = Cel|ery("shop"'),
    ("celery", "app/tasks.py", "celery_app.conf.up|date("),
    ("celery", "app/tasks.py", "@celery_app.ta|sk(bind=True"),
    ("celery", "app/tasks.py", "@shared_|task"),
    ("sqlalchemy-async", "app/routers/orders.py", "from sqlalchemy.ext.asyncio import Async|Sess"),
    ("sqlalchemy-async", "app/routers/orders.py", "SessionDep = Annotated[Async|Session"),
    ("sqlalchemy-async", "app/routers/orders.py", "result = await session.exe|cute("),
    ("sqlalchemy-async", "app/routers/orders.py", "await session.com|mit()"),
    ("sqlalchemy-async", "app/routers/orders.py", "await session.ref|resh(row)"),
    ("sqlalchemy-async", "app/routers/orders.py", "row = await session.g|et(Order"),
    ("celery", "app/routers/orders.py", "send_receipt.de|lay(row.id)"),
    ("alembic", "migrations/env.py", "from alem|bic import context"),
    ("connection-pooling", "migrations/env.py", "from sqlalchemy import po|ol"),
    ("sqlalchemy-async", "migrations/env.py", "import async_engine_from|_config"),
    ("alembic", "migrations/env.py", "config = context.con|fig"),
    ("alembic", "migrations/env.py", "config.set_main_|option("),
    ("alembic", "migrations/env.py", "if config.config_file_|name is not None:"),
    ("alembic", "migrations/env.py", "fileConfig(config.config_file_|name)"),
    ("alembic", "migrations/env.py", "target_meta|data = Base.metadata"),
    ("alembic", "migrations/env.py", "def run_migrations_off|line()"),
    ("alembic", "migrations/env.py", "    context.con|figure(\n"[:-1]),
    ("alembic", "migrations/env.py", 'url=config.get_main_|option("sqlalchemy.url"),'),
    ("alembic", "migrations/env.py", "        target_metadata=target_|metadata,"),
    ("alembic", "migrations/env.py", "    with context.begin_|transaction():"),
    ("alembic", "migrations/env.py", "        context.run_|migrations()"),
    ("alembic", "migrations/env.py", "context.configure(connection=conn|ection"),
    ("sqlalchemy-async", "migrations/env.py", "connectable = async_engine_|from_config("),
    ("alembic", "migrations/env.py", "config.get_sec|tion(config.config_ini_section"),
    ("connection-pooling", "migrations/env.py", "poolclass=pool.Null|Pool,"),
    ("sqlalchemy-async", "migrations/env.py", "async with connectable.con|nect() as connection:"),
    ("sqlalchemy-async", "migrations/env.py", "await connection.run_|sync(do_run_migrations)"),
    ("sqlalchemy-async", "migrations/env.py", "await connectable.dis|pose()"),
    ("alembic", "migrations/env.py", "if context.is_offline_|mode():"),
    ("alembic", "migrations/env.py", "    run_migrations_off|line()"),
    ("alembic", REVISION, "from alem|bic import op"),
    ("alembic", REVISION, "op.create_|table("),
    ("alembic", REVISION, "op.drop_|table("),
    ("async-tests", "tests/conftest.py", "from httpx import ASGI|Transport, AsyncClient"),
    ("sqlalchemy-async", "tests/conftest.py", "from sqlalchemy.ext.asyncio import Async|Sess"),
    ("async-tests", "tests/conftest.py", "def anyio_|backend()"),
    ("sqlalchemy-async", "tests/conftest.py", "AsyncIterator[Async|Session]:"),
    ("sqlalchemy-async", "tests/conftest.py", "engine = create_async_|engine(TEST_DATABASE_URL)"),
    ("sqlalchemy-async", "tests/conftest.py", "async with engine.be|gin() as connection:"),
    ("sqlalchemy-async", "tests/conftest.py", "await connection.run_|sync(Base.metadata"),
    ("test-database", "tests/conftest.py", "run_sync(Base.metadata.create_|all)"),
    ("sqlalchemy-async", "tests/conftest.py", "maker = async_session|maker(engine"),
    ("sqlalchemy-async", "tests/conftest.py", "async with mak|er() as session:"),
    ("sqlalchemy-async", "tests/conftest.py", "    await engine.dis|pose()"),
    ("sqlalchemy-async", "tests/conftest.py", "async def client(session: Async|Session)"),
    ("async-tests", "tests/conftest.py", "-> AsyncIterator[Async|Client]:"),
    ("test-database", "tests/conftest.py", "app.dependency_overrides[get_sess|ion] = lambda"),
    ("async-tests", "tests/conftest.py", "transport = ASGI|Transport(app=app)"),
    ("async-tests", "tests/conftest.py", "async with Async|Client(transport=transport"),
    ("async-tests", "tests/test_orders.py", "from httpx import Async|Client"),
    ("async-tests", "tests/test_orders.py", "pytestmark = pytest.mark.an|yio"),
    ("async-tests", "tests/test_orders.py", "async def test_create_and_read_order(client: Async|C"),
    ("async-tests", "tests/test_orders.py", "async def test_missing_order(client: Async|Client)"),
]

#: The detector's measured quality on the corpus (the README states the same numbers).
MIN_PRECISION = 0.97
MIN_RECALL = 0.95


def _line_numbers(name: str, fragment: str) -> list[int]:
    """The numbers of the lines that read like the one holding ``fragment``: a line that
    recurs (``context.run_migrations()``) has one meaning."""
    line, _ = locate(name, fragment)
    return [number for number, text in enumerate(source(name).splitlines()) if text == line]


def _labelled_lines() -> dict[tuple[str, str, int], set[str]]:
    """(path, corpus file, line number) -> the topics of that line, for every measured line.

    Measured are the lines of the positive cases, and every line of the negative files and of
    the labelled project.
    """
    labels: dict[tuple[str, str, int], set[str]] = {}
    for path, name in [*NEGATIVE, *((path, f"shop/{path}") for path in SHOP_FILES)]:
        for number in range(len(source(name).splitlines())):
            labels[(path, name, number)] = set()
    cases = [*POSITIVE, *((topic, path, f"shop/{path}", at) for topic, path, at in SHOP_CASES)]
    for topic, path, name, fragment in cases:
        for number in _line_numbers(name, fragment):
            labels.setdefault((path, name, number), set()).add(topic)
    return labels


def measure() -> tuple[float, float, list[str]]:
    """Precision and recall of ``detect`` on the labelled lines, and what it got wrong."""
    true_positives = false_positives = false_negatives = 0
    mistakes = []
    for (path, name, number), expected in _labelled_lines().items():
        line = source(name).splitlines()[number]
        found = set(ids(detect(line, analysis_of(name), path, KB.topics, KB.version_gates)))
        true_positives += len(found & expected)
        false_positives += len(found - expected)
        false_negatives += len(expected - found)
        for topic in sorted(found ^ expected):
            kind = "missed" if topic in expected else "wrong"
            mistakes.append(f"{kind} {topic} at {name}:{number + 1}: {line.strip()}")
    precision = true_positives / (true_positives + false_positives)
    recall = true_positives / (true_positives + false_negatives)
    return precision, recall, mistakes


def test_precision_and_recall_on_the_corpus():
    precision, recall, mistakes = measure()
    report = f"precision {precision:.3f}, recall {recall:.3f}\n" + "\n".join(mistakes)
    assert precision >= MIN_PRECISION, report
    assert recall >= MIN_RECALL, report


def test_the_project_cases_cover_each_file_with_a_topic():
    covered = {path for _, path, _ in SHOP_CASES}
    assert covered == set(SHOP_FILES) - {path for path, name in NEGATIVE if "shop/" in name}


def test_every_topic_has_two_positive_cases():
    counts = Counter(case[0] for case in [*POSITIVE, *POSITIVE_GATED])
    assert {topic: counts[topic] for topic in TOPIC_IDS if counts[topic] < 2} == {}
    assert set(counts) <= set(TOPIC_IDS), "cases name unknown topics"


# ============================================================================================
# Negative cases: plain Tier 1 code fires nothing, on any line

NEGATIVE = [
    ("app/main.py", "tier1_websocket.py"),
    ("app/main.py", "tier1_crud.py"),
    ("app/main.py", "tier1_cors.py"),
    ("app/main.py", "tier1_background.py"),
    ("app/main.py", "tier1_lifespan.py"),
    ("app/schemas.py", "tier1_models.py"),
    ("app/auth.py", "tier1_auth.py"),
    ("tests/test_main.py", "tier1_testclient.py"),
    ("tests/conftest.py", "tier1_testclient.py"),
    ("app/config.py", "tier1_settings.py"),
    ("app/rates.py", "plain_http_client.py"),
    ("app/main.py", "shop/app/main.py"),
    ("app/config.py", "shop/app/config.py"),
    ("app/schemas.py", "shop/app/schemas.py"),
    ("app/models.py", "shop/app/models.py"),
    ("tests/test_root.py", "shop/tests/test_root.py"),
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
    "project-app",
    "project-settings",
    "project-schemas",
    "project-tables",
    "project-testclient",
]


@pytest.mark.parametrize(("path", "module"), NEGATIVE, ids=NEGATIVE_IDS)
@pytest.mark.parametrize("installed", [{}, CURRENT], ids=["unknown-versions", "current-versions"])
def test_tier1_code_detects_nothing(path, module, installed):
    analysis = analysis_of(module)
    fired = {}
    for number, line in enumerate(source(module).splitlines(), start=1):
        found = detect(line, analysis, path, KB.topics, KB.version_gates, installed)
        if found:
            fired[f"{number}: {line}"] = ids(found)
    assert fired == {}


@pytest.mark.parametrize(("path", "module"), NEGATIVE, ids=NEGATIVE_IDS)
@pytest.mark.parametrize("where", ["line-start", "whole-line"])
def test_tier1_code_has_no_topic_under_the_cursor(path, module, where):
    analysis = analysis_of(module)
    fired = {}
    for number, line in enumerate(source(module).splitlines(), start=1):
        end = 0 if where == "line-start" else len(line)
        found = topics_at(line, 0, end, analysis, path, KB.topics)
        if found:
            fired[f"{number}: {line}"] = [topic.id for topic in found]
    assert fired == {}


@pytest.mark.parametrize(("path", "module"), NEGATIVE, ids=NEGATIVE_IDS)
def test_tier1_module_as_a_selection_detects_nothing(path, module):
    found = detect(source(module), analysis_of(module), path, KB.topics, KB.version_gates, CURRENT)
    assert found == []


# ============================================================================================
# Span semantics: ``detect`` reads the whole line, ``topics_at`` the cursor's columns


def _topics_at(fragment: str, start_offset: int = 0, end_fragment: str | None = None):
    line, start = locate("two_constructs.py", fragment)
    start += start_offset
    end = locate("two_constructs.py", end_fragment)[1] if end_fragment else start
    found = topics_at(line, start, end, analysis_of("two_constructs.py"), "app/db.py", KB.topics)
    return [topic.id for topic in found]


def test_detect_reads_the_whole_line():
    line, _ = locate("two_constructs.py", "|engine = ")
    found = detect(line, analysis_of("two_constructs.py"), "app/db.py", KB.topics)
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
    selection = "\n".join(source("ws_manager.py").splitlines()[5:20])
    found = detect(
        selection, analysis_of("ws_manager.py"), "app/main.py", KB.topics, KB.version_gates
    )
    assert ids(found) == ["websocket-manager"]


def test_a_topic_is_reported_once_per_call():
    line, _ = locate("ws_manager.py", "|for connection in self.active_connections:")
    both = line + "  # broadcast(ConnectionManager)"
    found = detect(both, analysis_of("ws_manager.py"), "app/main.py", KB.topics)
    assert ids(found) == ["websocket-manager"]


def test_import_and_path_conditions_hold_for_topics_at():
    line = "    transaction.rollback()"
    analysis = analysis_of("test_database.py")
    column = line.index("rollback")
    assert topics_at(line, column, column, analysis, "app/db.py", KB.topics) == []
    found = topics_at(line, column, column, analysis, "tests/conftest.py", KB.topics)
    assert [topic.id for topic in found] == ["test-database"]


# ============================================================================================
# Version gates


def _gate_detections(found):
    return [detection for detection in found if detection.version_note is not None]


def test_annotated_with_old_fastapi_names_the_versions():
    found = detect_at("modern.py", "q: Annot|ated[str", "app/main.py", OLD)
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
    line, _ = locate_in(module, "Annotated[in|t, Query()]")
    found = detect(line, analyse(module), "app/main.py", KB.topics, KB.version_gates, OLD)
    (gate,) = _gate_detections(found)
    assert "Annotated" in gate.title and "0.95" in gate.title
    assert "0.90.0" in gate.version_note
    assert "new in FastAPI" in gate.query


def test_config_dict_with_pydantic_one():
    found = detect_at("modern.py", "model_config = Config|Dict(", "app/schemas.py", OLD)
    (gate,) = _gate_detections(found)
    assert gate.topic.id == "newer-version"
    assert "Pydantic" in gate.title and "2.0" in gate.title
    assert "1.10.13" in gate.version_note
    assert "new in Pydantic" in gate.query


GATED_LINES = [
    ("q: Annot|ated[str", "modern.py"),
    ("model_config = Config|Dict(", "modern.py"),
    ("app = FastAPI(life|span=lifespan)", "modern.py"),
    ("@field_|validator", "modern.py"),
    ("from fastapi.s|se import", "sse_fastapi.py"),
    ("response_class=EventSource|Response", "sse_fastapi.py"),
]


@pytest.mark.parametrize(("fragment", "module"), GATED_LINES)
def test_gates_fire_with_old_versions(fragment, module):
    assert _gate_detections(detect_at(module, fragment, "app/main.py", OLD))


@pytest.mark.parametrize(("fragment", "module"), GATED_LINES)
@pytest.mark.parametrize("installed", [{}, CURRENT], ids=["unknown-versions", "current-versions"])
def test_gates_stay_quiet_with_current_or_unknown_versions(fragment, module, installed):
    assert _gate_detections(detect_at(module, fragment, "app/main.py", installed)) == []


def test_gates_read_the_whole_line():
    line, _ = locate("modern.py", "|async def read_items")
    found = detect(line, analysis_of("modern.py"), "app/main.py", KB.topics, KB.version_gates, OLD)
    assert [gate.title for gate in found] == [
        "Annotated parameters needs FastAPI ≥ 0.95.0 (you have 0.90.0)"
    ]


def test_gate_compares_versions_not_strings():
    found = detect_at("modern.py", "q: Annot|ated[", "app/main.py", {"fastapi": Version("0.100.0")})
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
    found = detect_at(
        "modern.py", "q: Annot|ated[", "app/main.py", {"pydantic": Version("1.10.13")}
    )
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

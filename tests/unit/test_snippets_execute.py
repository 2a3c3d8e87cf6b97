"""Every Tier 1 snippet, expanded with its default values, is real working code.

For each snippet of the knowledge base the test fills the ``{{name}}`` variables with the values
the server gives a file that defines nothing (``prefill.defaults``), turns the body into plain
text (every placeholder keeps its default), and builds a module around it:

* a *prelude* defining what the snippet ``requires`` (``app``, ``router``, the ``Item`` models
  (a SQLModel table when the snippet also needs the database), a ``get_session`` dependency
  yielding a real SQLModel ``Session`` on an in-memory SQLite database, a ``get_current_user``
  dependency);
* the snippet's declared imports, merged as the server merges them;
* the body, wrapped when it is a fragment (a model body, a parameter, a function body).

The module is imported with warnings as errors, its ``/openapi.json`` must build, and a check
kept in this file (keyed by snippet id) exercises what the snippet defines.  Every route the
snippet defines must be called by its check.  Test-module snippets are run with pytest against
a small app, once as is (their tests must pass) and once against a broken app (they must fail).
"""

import ast
import datetime as dt
import importlib
import re
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Callable, Iterable
from importlib.metadata import version
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Annotated, Any

import jwt
import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, status
from fastapi.routing import APIRoute, APIWebSocketRoute
from packaging.version import Version
from pydantic import ValidationError
from sqlmodel import Session, select

from fastapi_ls import completion, knowledge, prefill, snippet_syntax

with warnings.catch_warnings():
    # Starlette 1.x warns when its TestClient runs on httpx rather than httpx2; the snippets
    # (and the user's tests) use fastapi.testclient either way.
    warnings.filterwarnings(
        "ignore", message="Using `httpx` with `starlette.testclient`", category=UserWarning
    )
    from fastapi.testclient import TestClient

KB = knowledge.load()
DEFAULT_VARIABLES = prefill.defaults(KB.conventions)
#: The installed versions, as the server reads them from a project's interpreter: a snippet whose
#: minimum is above them is not offered there, so it is not run (tests/e2e/test_oldest_versions.py
#: runs this module under the oldest supported versions).
INSTALLED = completion.Versions(
    fastapi=Version(version("fastapi")),
    pydantic=Version(version("pydantic")),
    starlette=Version(version("starlette")),
)
SNIPPETS = {snippet.id: snippet for snippet in KB.snippets}
IDS = sorted(SNIPPETS)
#: Test-module snippets run under pytest; every other snippet is imported and exercised.
TEST_MODULE_IDS = [i for i in IDS if "test_module" in SNIPPETS[i].contexts]
MODULE_IDS = [i for i in IDS if i not in TEST_MODULE_IDS]

MODULE_LEVEL = frozenset({"empty", "module", "decorator"})
ALLOWED_REQUIRES = frozenset({"app", "router", "model", "db_dep", "user_dep"})
#: Which ``requires`` entry each variable implies (the defaults point ``target`` at the app).
VARIABLE_REQUIRES = {
    "target": "app",
    "app": "app",
    "router": "router",
    "db_dep": "db_dep",
    "user_dep": "user_dep",
    "model": "model",
    "create_model": "model",
    "update_model": "model",
    "response_model": "model",
    "session": "db_dep",
}
#: Variables the server derives from the others or from the file's imports; they require
#: nothing of the file.
DERIVED_VARIABLES = frozenset(
    {
        "collection",
        "route_prefix",
        "session_class",
        "session_module",
        "select_module",
        "query",
        "async",
        "await",
    }
)

#: What a body's use needs installed beyond FastAPI and Pydantic, by a pattern of the use.
PACKAGE_OF = {
    r"\bimport jwt\b": "pyjwt",
    r"\bpwdlib\b": "pwdlib[argon2]",
    r"\bEmailStr\b": "email-validator",
    r"\bsqlmodel\b": "sqlmodel",
    r"\bForm\(|\bUploadFile\b": "python-multipart",
    r"\bJinja2Templates\b": "jinja2",
}

# --------------------------------------------------------------------------------------------
# Preludes: what a user's file has when a snippet "requires" it.

PRELUDES: dict[str, tuple[list[str], str]] = {
    "app": (["from fastapi import FastAPI"], "app = FastAPI()\n"),
    "router": (
        ["from fastapi import APIRouter"],
        """
router = APIRouter()


@router.get("/router-ping")
async def router_ping() -> dict[str, bool]:
    return {"router": True}
""",
    ),
    "model": (
        ["from pydantic import BaseModel, Field"],
        """
class ItemCreate(BaseModel):
    name: str
    price: float = Field(default=0, ge=0)


class Item(ItemCreate):
    id: int | None = None
""",
    ),
    # A real database: SQLite in memory, one connection shared by every session (StaticPool).
    "db_dep": (
        [
            "from collections.abc import Iterator",
            "from sqlalchemy.pool import StaticPool",
            "from sqlmodel import Session, SQLModel, create_engine",
        ],
        """
engine = create_engine(
    "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
)
SESSIONS: list = []


def create_tables() -> None:
    tables = [c.__table__ for c in list(globals().values()) if hasattr(c, "__table__")]
    SQLModel.metadata.create_all(engine, tables=tables)


def get_session() -> Iterator[Session]:
    with Session(engine) as session:
        SESSIONS.append(session)
        yield session
""",
    ),
    "user_dep": (
        [
            "from typing import Annotated",
            "from fastapi import Header, HTTPException",
            "from pydantic import BaseModel",
        ],
        """
class User(BaseModel):
    username: str
    disabled: bool = False


def get_current_user(authorization: Annotated[str | None, Header()] = None) -> User:
    if authorization != "Bearer alice-token":
        raise HTTPException(status_code=401, detail="Not authenticated")
    return User(username="alice")
""",
    ),
}
#: With a database the models are SQLModel classes and Item is a table, as in FastAPI's SQL
#: tutorial; each module names its table after itself, for the tables share one MetaData.
TABLE_PRELUDE = (
    ["from sqlmodel import Field, SQLModel"],
    """
class ItemCreate(SQLModel):
    name: str
    price: float = Field(default=0, ge=0)


class Item(ItemCreate, table=True):
    __tablename__ = __name__.replace(".", "_")
    id: int | None = Field(default=None, primary_key=True)
""",
)
UPDATE_PRELUDE = (
    [],
    """
class ItemUpdate(SQLModel):
    name: str | None = None
    price: float | None = Field(default=None, ge=0)
""",
)
PRELUDE_ORDER = ("app", "router", "model", "db_dep", "user_dep")
ALICE = {"Authorization": "Bearer alice-token"}

# --------------------------------------------------------------------------------------------
# Wrappers for the contexts whose snippets are fragments.

MODEL_BODY_WRAPPER = (
    ["from pydantic import BaseModel"],
    """
class Item(BaseModel):
{fields}{body}
""",
)
#: Fields the model around a model-body snippet has before it: those its default text uses.
MODEL_BODY_FIELDS = {
    "model-config": "name: str",
    "model-field-validator": "name: str",
    "model-model-validator": "password: str\npassword_repeat: str",
    "model-computed-field": "name: str",
}

SIGNATURE_WRAPPER = (
    [],
    """
@app.post("/probe/{{item_id}}")
async def probe(
{body},
) -> dict[str, str]:
    values = dict(locals())
    return {{name: repr(value) for name, value in values.items()}}
""",
)

FUNCTION_BODY_WRAPPER = (
    ["from fastapi import BackgroundTasks, Request"],
    """
SENT: list[tuple[str, str]] = []


def send_email(email: str, message: str = "") -> None:
    SENT.append((email, message))


@app.get("/probe/{{item_id}}")
async def probe(
    item_id: int,
    request: Request,
    background_tasks: BackgroundTasks,
    email: str = "user@example.com",
):
{body}
    return {{"item_id": item_id}}
""",
)

#: The application a test module tests; ``BROKEN`` flips it to wrong answers.
TEST_MODULE_APP = (
    [
        "from contextlib import asynccontextmanager",
        "from typing import Annotated, Any",
        "from fastapi import Depends, HTTPException, WebSocket",
    ],
    """
BROKEN = False
ITEMS = {1: "one", 2: "two"}
LIFESPAN: list[str] = []


@asynccontextmanager
async def lifespan(app):
    LIFESPAN.append("start")
    yield
    LIFESPAN.append("stop")


app.router.lifespan_context = lifespan


@app.websocket("/ws")
async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text("Goodbye" if BROKEN else f"Message text was: {text}")
    await websocket.close()


@app.get("/")
async def read_main() -> dict[str, str]:
    return {"msg": "Goodbye" if BROKEN else "Hello World"}


@app.get("/items/{item_id}")
def read_item(item_id: int, db: Annotated[Any, Depends(get_session)]) -> dict:
    if BROKEN or item_id not in ITEMS:
        raise HTTPException(status_code=404, detail="Item not found")
    return {"item_id": item_id, "db": type(db).__name__}
""",
)

#: Files next to the snippet module, for snippets importing from their package.
EXTRA_FILES: dict[str, dict[str, str]] = {
    "app-main-routers": {
        "routers/__init__.py": "",
        "routers/items.py": textwrap.dedent(
            """
            from fastapi import APIRouter

            router = APIRouter(prefix="/items", tags=["items"])


            @router.get("/")
            async def read_items() -> list[str]:
                return ["one"]
            """
        ),
    },
}

#: Files in the working directory the snippet's module runs in (directories it serves).
WORKING_FILES: dict[str, dict[str, str]] = {
    "static-files": {"static/hello.txt": "hello static"},
    "templates-jinja2": {"templates/item.html": "<h1>Item {{ id }}</h1>"},
    "response-file": {"report.pdf": "%PDF-1.4 probe"},
}
#: The URL a snippet's TestClient sends its requests to, when not http://testserver.
BASE_URLS = {"middleware-trusted-host": "http://localhost"}

#: Tests appended to a test-module snippet that has no test of its own.
EXTRA_TESTS = {
    "test-lifespan-client": """

def test_lifespan_ran(client: TestClient) -> None:
    assert LIFESPAN[-1] == "start"  # started, not yet stopped, while the test runs
""",
    "test-fixture-overrides": """

def test_probe_override_is_active(client: TestClient) -> None:
    assert client.get("/items/1").json()["db"] == "NoneType"


def test_probe_overrides_are_cleared() -> None:
    assert app.dependency_overrides == {}
""",
}

#: (passed, failed) for each test-module snippet: against the app, and against the broken app.
TEST_MODULE_OUTCOMES = {
    "test-client": ((1, 0), (0, 1)),
    "test-fixture-overrides": ((2, 0), (1, 1)),
    "test-parametrize": ((2, 0), (1, 1)),
    "test-lifespan-client": ((2, 0), (1, 1)),
    "test-websocket": ((1, 0), (0, 1)),
}


# --------------------------------------------------------------------------------------------
# Building the modules.


def expand(snippet: knowledge.Snippet) -> str:
    return snippet_syntax.to_plain_text(
        snippet_syntax.fill_variables(snippet.body, DEFAULT_VARIABLES)
    )


def kind_of(snippet: knowledge.Snippet) -> str:
    """How the snippet is placed into a module: as is, or wrapped for its fragment context."""
    kinds = {"module" if context in MODULE_LEVEL else context for context in snippet.contexts}
    assert len(kinds) == 1, f"{snippet.id}: contexts of different kinds {snippet.contexts}"
    return kinds.pop()


def merge_imports(statements: Iterable[str]) -> list[str]:
    plain: dict[str, None] = {}
    froms: dict[str, dict[str, None]] = {}
    for statement in statements:
        (node,) = ast.parse(statement).body
        if isinstance(node, ast.ImportFrom):
            names = froms.setdefault("." * node.level + (node.module or ""), {})
            for alias in node.names:
                names[alias.name + (f" as {alias.asname}" if alias.asname else "")] = None
        else:
            assert isinstance(node, ast.Import), statement
            for alias in node.names:
                plain[alias.name + (f" as {alias.asname}" if alias.asname else "")] = None
    return [f"import {name}" for name in plain] + [
        f"from {module} import {', '.join(sorted(names))}" for module, names in froms.items()
    ]


def build_source(snippet: knowledge.Snippet, *, broken: bool = False) -> str:
    text = expand(snippet)
    kind = kind_of(snippet)
    needs = set(snippet.requires)
    wrapper_imports: list[str] = []
    if kind == "module":
        code = text
    elif kind == "model_body":
        wrapper_imports, template = MODEL_BODY_WRAPPER
        fields = MODEL_BODY_FIELDS.get(snippet.id)
        fields = textwrap.indent(fields + "\n\n", "    ") if fields else ""
        code = template.format(fields=fields, body=textwrap.indent(text, "    "))
    elif kind == "signature":
        needs.add("app")
        wrapper_imports, template = SIGNATURE_WRAPPER
        code = template.format(body=textwrap.indent(text, "    "))
    elif kind == "function_body":
        needs.add("app")
        wrapper_imports, template = FUNCTION_BODY_WRAPPER
        code = template.format(body=textwrap.indent(text, "    "))
    elif kind == "test_module":
        needs |= {"app", "db_dep"}
        wrapper_imports, app_code = TEST_MODULE_APP
        if broken:
            app_code = app_code.replace("BROKEN = False", "BROKEN = True")
        code = app_code + "\n\n" + text + EXTRA_TESTS.get(snippet.id, "")
    else:  # pragma: no cover - kind_of only returns the kinds above
        raise AssertionError(kind)

    imports: list[str] = []
    parts: list[str] = []
    preludes = dict(PRELUDES)
    if {"model", "db_dep"} <= needs:
        preludes["model"] = TABLE_PRELUDE
    if "update_model" in snippet.when:
        needs.add("update_model")
        preludes["model"] = (
            TABLE_PRELUDE[0],
            TABLE_PRELUDE[1] + "\n\n" + UPDATE_PRELUDE[1].strip("\n"),
        )
    for name in PRELUDE_ORDER:
        if name in needs:
            prelude_imports, prelude = preludes[name]
            imports += prelude_imports
            parts.append(prelude.strip("\n"))
    imports += wrapper_imports
    imports += prefill.snippet_imports(snippet.imports, DEFAULT_VARIABLES, text)
    parts.append(code.strip("\n"))
    if {"model", "db_dep"} <= needs:
        parts.append("create_tables()")
    return "\n".join(merge_imports(imports)) + "\n\n\n" + "\n\n\n".join(parts) + "\n"


def package_name(snippet_id: str, suffix: str = "") -> str:
    return "snippet_" + re.sub(r"\W", "_", snippet_id) + suffix


def write_package(directory: Path, package: str, source: str, extra: dict[str, str]) -> Path:
    root = directory / package
    root.mkdir(parents=True)
    (root / "__init__.py").write_text("", encoding="utf-8")
    for relative, text in extra.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    module_path = root / "snippet.py"
    module_path.write_text(source, encoding="utf-8")
    return module_path


@pytest.fixture
def import_package(tmp_path: Path):
    """Import ``package.snippet`` from tmp_path with warnings as errors; forget it afterwards."""
    imported: list[str] = []

    def do_import(package: str) -> ModuleType:
        imported.append(package)
        sys.path.insert(0, str(tmp_path))
        importlib.invalidate_caches()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                return importlib.import_module(f"{package}.snippet")
        finally:
            sys.path.remove(str(tmp_path))

    yield do_import
    for name in list(sys.modules):
        if any(name == p or name.startswith(p + ".") for p in imported):
            engine = getattr(sys.modules[name], "engine", None)
            if engine is not None:
                engine.dispose()
            del sys.modules[name]


# --------------------------------------------------------------------------------------------
# Checks, keyed by snippet id.  Each receives the imported module and a TestClient on its app
# (None when the module defines neither an app nor a router).

Check = Callable[[ModuleType, Any], None]
CHECKS: dict[str, Check] = {}


def check(*snippet_ids: str) -> Callable[[Check], Check]:
    def register(function: Check) -> Check:
        for snippet_id in snippet_ids:
            assert snippet_id not in CHECKS, snippet_id
            CHECKS[snippet_id] = function
        return function

    return register


def seed(m: ModuleType, **fields: Any) -> Any:
    with Session(m.engine) as session:
        item = m.Item(**fields)
        session.add(item)
        session.commit()
        session.refresh(item)
        return item


def rows(m: ModuleType) -> list[dict[str, Any]]:
    with Session(m.engine) as session:
        return [row.model_dump() for row in session.exec(select(m.Item).order_by(m.Item.id))]


def app_with_route(path: str, endpoint: Callable[..., Any]) -> TestClient:
    app = FastAPI()
    app.get(path)(endpoint)
    return TestClient(app)


def probe(client: TestClient, path: str = "/probe/1", **kwargs: Any) -> Any:
    return client.post(path, **kwargs)


# Application set-up and routers


@check("app-lifespan")
def _(m, client):
    with TestClient(m.app) as running:  # runs the lifespan's start-up and shutdown
        info = running.get("/openapi.json").json()["info"]
    assert info == {"title": "My API", "version": "0.1.0"}
    assert m.app.router.lifespan_context is not None


@check("app-main-routers")
def _(m, client):
    assert client.get("/api/v1/items/").json() == ["one"]
    assert client.get("/").json() == {"message": "Hello World"}


@check("router-module")
def _(m, client):
    assert isinstance(m.router, APIRouter)
    response = client.get("/items/")
    assert (response.status_code, response.json()) == (200, [])
    operation = client.get("/openapi.json").json()["paths"]["/items/"]["get"]
    assert operation["tags"] == ["items"]
    assert "404" in operation["responses"]


@check("include-router")
def _(m, client):
    assert client.get("/api/v1/router-ping").json() == {"router": True}
    assert client.get("/router-ping").status_code == 404


# Models


@check("model-basic")
def _(m, client):
    assert m.Item(name="x").name == "x"
    with pytest.raises(ValidationError):
        m.Item()


@check("model-crud")
def _(m, client):
    created = m.UserCreate(email="ada@example.com", username="ada", password="correct horse")
    assert created.model_dump() == {
        "email": "ada@example.com",
        "username": "ada",
        "password": "correct horse",
    }
    for bad in (
        {"email": "not-an-email", "username": "ada", "password": "long enough"},
        {"email": "ada@example.com", "username": "ad", "password": "long enough"},
        {"email": "ada@example.com", "username": "ada", "password": "short"},
    ):
        with pytest.raises(ValidationError):
            m.UserCreate(**bad)
    orm_row = SimpleNamespace(
        id=1, email="ada@example.com", username="ada", created_at=dt.datetime.now(dt.timezone.utc)
    )
    public = m.UserPublic.model_validate(orm_row)
    assert (public.id, public.is_active) == (1, True)
    assert "password" not in m.UserPublic.model_fields


@check("model-field")
def _(m, client):
    assert m.Item(name="x").name == "x"
    with pytest.raises(ValidationError):
        m.Item()


@check("model-field-optional")
def _(m, client):
    assert m.Item().description is None
    assert m.Item(description="d").description == "d"


@check("model-field-constraints")
def _(m, client):
    assert m.Item(name="ok").name == "ok"
    for bad in ("", "x" * 101):
        with pytest.raises(ValidationError):
            m.Item(name=bad)
    assert m.Item.model_fields["name"].description == "Display name"


@check("model-field-default-factory")
def _(m, client):
    first, second = m.Item(), m.Item()
    first.tags.append("x")
    assert second.tags == []


@check("model-config")
def _(m, client):
    row = SimpleNamespace(name="from-orm")
    assert m.Item.model_validate(row).name == "from-orm"


@check("model-field-validator")
def _(m, client):
    assert m.Item(name="  padded  ").name == "padded"
    with pytest.raises(ValidationError, match="must not be blank"):
        m.Item(name="   ")


@check("model-model-validator")
def _(m, client):
    assert m.Item(password="a", password_repeat="a").password == "a"
    with pytest.raises(ValidationError, match="passwords do not match"):
        m.Item(password="a", password_repeat="b")


@check("model-computed-field")
def _(m, client):
    assert m.Item(name="probe item").model_dump()["display_name"] == "Probe Item"


# CRUD path operations


@check("route-get-item")
def _(m, client):
    response = client.get("/items/1")
    assert (response.status_code, response.json()) == (404, {"detail": "Item not found"})
    assert client.get("/items/0").status_code == 422  # Path(gt=0)
    seed(m, name="a", price=1)
    response = client.get("/items/1")
    assert (response.status_code, response.json()) == (200, {"id": 1, "name": "a", "price": 1.0})
    assert m.SESSIONS and all(not session.in_transaction() for session in m.SESSIONS)


@check("route-list-items")
def _(m, client):
    assert client.get("/items/").json() == []
    for name in ("a", "b", "c"):
        seed(m, name=name)
    assert [item["name"] for item in client.get("/items/").json()] == ["a", "b", "c"]
    page = client.get("/items/", params={"offset": 1, "limit": 1}).json()
    assert page == [{"id": 2, "name": "b", "price": 0.0}]
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": -1}):
        assert client.get("/items/", params=bad).status_code == 422


@check("route-create-item")
def _(m, client):
    response = client.post("/items/", json={"name": "a", "price": 2})
    assert (response.status_code, response.json()) == (201, {"id": 1, "name": "a", "price": 2.0})
    assert rows(m) == [{"id": 1, "name": "a", "price": 2.0}]
    assert client.post("/items/", json={"name": "a", "price": -1}).status_code == 422


@check("route-update-item")
def _(m, client):
    assert client.put("/items/1", json={"name": "b", "price": 3}).status_code == 404
    seed(m, name="a", price=1)
    response = client.put("/items/1", json={"name": "b"})
    assert (response.status_code, response.json()) == (200, {"id": 1, "name": "b", "price": 0.0})
    assert rows(m) == [{"id": 1, "name": "b", "price": 0.0}]


@check("route-patch-item", "route-patch-item-with-model")
def _(m, client):
    assert client.patch("/items/1", json={"name": "b"}).status_code == 404
    seed(m, name="a", price=2.5)
    response = client.patch("/items/1", json={"name": "b"})  # price not sent: kept
    assert (response.status_code, response.json()) == (200, {"id": 1, "name": "b", "price": 2.5})
    response = client.patch("/items/1", json={})  # name not sent: kept, not reset to None
    assert (response.status_code, response.json()) == (200, {"id": 1, "name": "b", "price": 2.5})
    assert rows(m) == [{"id": 1, "name": "b", "price": 2.5}]
    assert all(not field.is_required() for field in m.ItemUpdate.model_fields.values())


@check("route-delete-item")
def _(m, client):
    assert client.delete("/items/1").status_code == 404
    seed(m, name="a")
    response = client.delete("/items/1")
    assert (response.status_code, response.content) == (204, b"")
    assert rows(m) == []


# Decorator stubs


@check("decorator-get")
def _(m, client):
    assert client.get("/items/5").json() == {"item_id": 5}
    assert client.get("/items/five").status_code == 422


@check("decorator-post")
def _(m, client):
    response = client.post("/items/", json={"name": "a"})
    assert (response.status_code, response.json()) == (201, {"name": "a", "price": 0.0})


@check("decorator-put")
def _(m, client):
    response = client.put("/items/3", json={"name": "a", "price": 1})
    assert response.json() == {"item_id": 3, "name": "a", "price": 1.0}


@check("decorator-patch")
def _(m, client):
    response = client.patch("/items/3", json={"name": "a"})
    assert response.json() == {"item_id": 3, "updated": {"name": "a"}}


@check("decorator-delete")
def _(m, client):
    response = client.delete("/items/3")
    assert (response.status_code, response.content) == (204, b"")


# Dependencies


@check("dep-yield")
def _(m, client):
    dependency = m.get_http_client()
    http_client = next(dependency)
    assert not http_client.is_closed
    dependency.close()  # FastAPI ends the generator after the response: the finally clause runs
    assert http_client.is_closed


@check("db-setup")
def _(m, client):
    with TestClient(m.app) as running:  # the lifespan creates the tables
        assert running.get("/openapi.json").status_code == 200
    assert Path("database.db").is_file()
    dependency = m.get_session()
    session = next(dependency)
    assert isinstance(session, Session)
    assert session.exec(select(1)).one() == 1
    dependency.close()

    def use(session: m.SessionDep) -> dict[str, str]:
        return {"session": type(session).__name__}

    assert app_with_route("/probe", use).get("/probe").json() == {"session": "Session"}


@check("dep-annotated-alias")
def _(m, client):
    def use(session: m.SessionDep) -> dict[str, str]:
        return {"session": type(session).__name__}

    assert app_with_route("/probe", use).get("/probe").json() == {"session": "Session"}


@check("dep-current-user-alias")
def _(m, client):
    def use(user: m.CurrentUser) -> dict[str, str]:
        return {"user": user.username}

    probe_client = app_with_route("/probe", use)
    assert probe_client.get("/probe").status_code == 401
    assert probe_client.get("/probe", headers=ALICE).json() == {"user": "alice"}


@check("dep-class")
def _(m, client):
    response = client.get("/items/", params={"q": "a", "skip": 2})
    assert response.json() == {"q": "a", "skip": 2, "limit": 100}
    assert client.get("/items/", params={"skip": -1}).status_code == 422


@check("dep-sub")
def _(m, client):
    def use(item: Annotated[Any, Depends(m.get_item_or_404)]) -> dict[str, str]:
        return {"name": item.name}

    probe_client = app_with_route("/probe/{item_id}", use)
    assert probe_client.get("/probe/1").status_code == 404
    seed(m, name="found")
    assert probe_client.get("/probe/1").json() == {"name": "found"}


# Authentication


@check("auth-oauth2-jwt")
def _(m, client):
    m.users_db["alice"] = m.UserInDB(
        username="alice", hashed_password=m.get_password_hash("wonderland")
    )
    m.users_db["bob"] = m.UserInDB(
        username="bob", hashed_password=m.get_password_hash("builder"), disabled=True
    )
    response = client.post("/token", data={"username": "alice", "password": "wonderland"})
    assert response.status_code == 200
    token = response.json()
    assert token["token_type"] == "bearer"
    payload = jwt.decode(token["access_token"], m.SECRET_KEY, algorithms=[m.ALGORITHM])
    assert payload["sub"] == "alice"
    assert 29 * 60 < payload["exp"] - time.time() <= 30 * 60

    me = client.get("/users/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.json() == {"username": "alice", "email": None, "disabled": False}  # no hash

    for form in ({"username": "alice", "password": "wrong"}, {"username": "eve", "password": "x"}):
        refused = client.post("/token", data=form)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"

    expired = m.create_access_token({"sub": "alice"}, dt.timedelta(seconds=-1))
    unknown = m.create_access_token({"sub": "eve"})
    for bad in (expired, unknown, token["access_token"] + "x", "not-a-jwt"):
        refused = client.get("/users/me", headers={"Authorization": f"Bearer {bad}"})
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
    assert client.get("/users/me").status_code == 401

    bob = client.post("/token", data={"username": "bob", "password": "builder"}).json()
    inactive = client.get("/users/me", headers={"Authorization": f"Bearer {bob['access_token']}"})
    assert (inactive.status_code, inactive.json()) == (400, {"detail": "Inactive user"})


@check("auth-password-hashing")
def _(m, client):
    hashed = m.get_password_hash("wonderland")
    assert hashed.startswith("$argon2")
    assert m.verify_password("wonderland", hashed)
    assert not m.verify_password("wrong", hashed)


@check("auth-create-token")
def _(m, client):
    token = m.create_access_token({"sub": "alice"})
    payload = jwt.decode(token, m.SECRET_KEY, algorithms=[m.ALGORITHM])
    assert payload["sub"] == "alice"
    assert 29 * 60 < payload["exp"] - time.time() <= 30 * 60
    with pytest.raises(jwt.ExpiredSignatureError):
        expired = m.create_access_token({"sub": "alice"}, dt.timedelta(seconds=-1))
        jwt.decode(expired, m.SECRET_KEY, algorithms=[m.ALGORITHM])


@check("auth-oauth2-scheme")
def _(m, client):
    def use(token: Annotated[str, Depends(m.oauth2_scheme)]) -> dict[str, str]:
        return {"token": token}

    probe_client = app_with_route("/probe", use)
    refused = probe_client.get("/probe")
    assert (refused.status_code, refused.headers["www-authenticate"]) == (401, "Bearer")
    response = probe_client.get("/probe", headers={"Authorization": "Bearer abc"})
    assert response.json() == {"token": "abc"}


# Errors


@check("errors-custom-exception")
def _(m, client):
    @m.app.get("/boom")
    async def boom():
        raise m.ItemNotFoundError(42)

    response = client.get("/boom")
    assert (response.status_code, response.json()) == (404, {"detail": "Item 42 not found"})


@check("errors-validation-handler")
def _(m, client):
    @m.app.get("/typed/{number}")
    async def typed(number: int) -> int:
        return number

    response = client.get("/typed/abc")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"][0]["loc"] == ["path", "number"]
    assert "body" in body  # the optional second key, kept with its default


@check("decorator-exception-handler")
def _(m, client):
    @m.app.get("/boom")
    async def boom():
        raise HTTPException(status_code=401, detail="no", headers={"WWW-Authenticate": "Bearer"})

    response = client.get("/boom")
    assert (response.status_code, response.json()) == (401, {"error": "no"})
    assert response.headers["www-authenticate"] == "Bearer"
    missing = client.get("/no-such-page")  # Starlette's own 404 goes through it too
    assert (missing.status_code, missing.json()) == (404, {"error": "Not Found"})

    @m.app.get("/bug")
    async def bug():
        raise ValueError("bad input")

    with pytest.raises(ValueError):  # a server bug stays a 500, never a 400 echoing input
        client.get("/bug")


@check("raise-404")
def _(m, client):
    response = client.get("/probe/1")
    assert (response.status_code, response.json()) == (404, {"detail": "Item not found"})


@check("raise-http-exception")
def _(m, client):
    response = client.get("/probe/1")
    assert (response.status_code, response.json()) == (400, {"detail": "Bad request"})


@check("raise-401")
def _(m, client):
    response = client.get("/probe/1")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@check("return-json-response")
def _(m, client):
    response = client.get("/probe/1")
    assert (response.status_code, response.json()) == (200, {"message": "ok"})


# Middleware, background tasks, WebSockets, settings


@check("middleware-cors")
def _(m, client):
    preflight = client.options(
        "/openapi.json",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    refused = client.options(
        "/openapi.json",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert refused.status_code == 400


@check("middleware-process-time")
def _(m, client):
    response = client.get("/openapi.json")
    assert float(response.headers["x-process-time"]) >= 0


@check("bg-endpoint")
def _(m, client):
    assert m.send_notification("ada@example.com") is None  # the stub runs
    calls: list[tuple[str, str]] = []
    m.send_notification = lambda email, message="": calls.append((email, message))
    response = client.post("/notifications/ada@example.com")
    assert (response.status_code, response.json()) == (202, {"message": "Notification queued"})
    assert calls == [("ada@example.com", "Welcome!")]  # TestClient runs the tasks


@check("bg-add-task")
def _(m, client):
    assert client.get("/probe/1").status_code == 200
    assert m.SENT == [("user@example.com", "Welcome!")]


@check("ws-echo")
def _(m, client):
    with client.websocket_connect("/ws") as websocket:
        websocket.send_text("hello")
        assert websocket.receive_text() == "Message text was: hello"
        websocket.send_text("again")
        assert websocket.receive_text() == "Message text was: again"


@check("settings-class")
def _(m, client):
    assert m.Settings().app_name == "My API"
    Path(".env").write_text("DATABASE_URL=postgresql://from-dotenv\n", encoding="utf-8")
    assert m.Settings().database_url == "postgresql://from-dotenv"
    settings = m.get_settings()
    assert m.get_settings() is settings  # cached

    def use(settings: m.SettingsDep) -> dict[str, str]:
        return {"app_name": settings.app_name}

    assert app_with_route("/probe", use).get("/probe").json() == {"app_name": "My API"}


# Parameters (the wrapper answers with the repr of each parameter)


@check("param-path")
def _(m, client):
    assert probe(client, "/probe/5").json() == {"item_id": "5"}
    assert probe(client, "/probe/0").status_code == 422


@check("param-query")
def _(m, client):
    assert probe(client, params={"q": "hello"}).json() == {"q": "'hello'"}
    assert probe(client).json() == {"q": "None"}
    assert probe(client, params={"q": "x" * 51}).status_code == 422


@check("param-body")
def _(m, client):
    response = probe(client, json={"item": {"name": "a", "price": 1}})
    assert response.json() == {"item": "Item(name='a', price=1.0, id=None)"}
    assert probe(client, json={"name": "a"}).status_code == 422  # embedded under "item"


@check("param-header")
def _(m, client):
    assert probe(client, headers={"User-Agent": "probe-agent"}).json() == {
        "user_agent": "'probe-agent'"
    }


@check("param-cookie")
def _(m, client):
    assert probe(client, headers={"Cookie": "session_id=abc"}).json() == {"session_id": "'abc'"}
    assert probe(client).json() == {"session_id": "None"}


@check("param-form")
def _(m, client):
    assert probe(client, data={"username": "alice"}).json() == {"username": "'alice'"}
    assert probe(client).status_code == 422


@check("param-upload-file")
def _(m, client):
    response = probe(client, files={"file": ("notes.txt", b"abc", "text/plain")})
    assert "filename='notes.txt'" in response.json()["file"]
    assert probe(client).status_code == 422


@check("param-db")
def _(m, client):
    assert probe(client).json()["session"].startswith("<sqlmodel.orm.session.Session")


@check("param-current-user")
def _(m, client):
    assert probe(client).status_code == 401
    assert probe(client, headers=ALICE).json() == {
        "current_user": "User(username='alice', disabled=False)"
    }


@check("param-background-tasks")
def _(m, client):
    assert probe(client).json()["background_tasks"].startswith("<fastapi.background.Background")


@check("param-request")
def _(m, client):
    assert probe(client).json()["request"].startswith("<starlette.requests.Request")


# Parameter models, forms and uploads


@check("query-param-model")
def _(m, client):
    response = client.get("/items/", params={"limit": 5, "tags": ["a", "b"]})
    assert response.json() == {
        "limit": 5,
        "offset": 0,
        "order_by": "created_at",
        "tags": ["a", "b"],
    }
    for bad in ({"limit": 0}, {"order_by": "name"}, {"unknown": "x"}):
        assert client.get("/items/", params=bad).status_code == 422


@check("header-param-model")
def _(m, client):
    response = client.get("/headers", headers={"X-Request-Id": "r-1"})
    assert response.json() == {"host": "testserver", "x_request_id": "r-1", "accept_language": None}


@check("cookie-param-model")
def _(m, client):
    assert client.get("/cookies").status_code == 422  # session_id is required
    response = client.get("/cookies", headers={"Cookie": "session_id=abc"})
    assert response.json() == {"session_id": "abc", "tracker": None}


@check("route-form-login")
def _(m, client):
    response = client.post("/login", data={"username": "alice", "password": "secret"})
    assert response.json() == {"username": "alice"}
    assert client.post("/login", json={"username": "alice", "password": "x"}).status_code == 422


@check("form-model")
def _(m, client):
    form = {"username": "alice", "password": "secret"}
    assert client.post("/login", data=form).json() == {"username": "alice"}
    assert client.post("/login", data={"username": "alice"}).status_code == 422
    assert client.post("/login", data={**form, "remember": "yes"}).status_code == 422


@check("route-upload-file")
def _(m, client):
    response = client.post("/uploadfile/", files={"file": ("a.txt", b"abcd", "text/plain")})
    assert response.json() == {"filename": "a.txt", "content_type": "text/plain", "size": 4}
    assert client.post("/uploadfile/").status_code == 422


@check("route-upload-files")
def _(m, client):
    files = [("files", ("a.txt", b"a", "text/plain")), ("files", ("b.txt", b"b", "text/plain"))]
    assert client.post("/uploadfiles/", files=files).json() == {"filenames": ["a.txt", "b.txt"]}


@check("route-upload-with-form")
def _(m, client):
    response = client.post(
        "/documents/",
        data={"title": "Report", "public": "true"},
        files={"file": ("r.pdf", b"%PDF", "application/pdf")},
    )
    assert response.json() == {"title": "Report", "public": True, "filename": "r.pdf"}
    missing_title = client.post("/documents/", files={"file": ("r.pdf", b"%PDF")})
    assert missing_title.status_code == 422


# Responses, static files, templates


@check("response-exclude-unset")
def _(m, client):
    assert client.get("/items/1").json() == {"name": "Foo"}  # no "price": 0.0, no "id": null


@check("response-html")
def _(m, client):
    response = client.get("/page")
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Hello</h1>" in response.text
    assert (
        "text/html"
        in client.get("/openapi.json").json()["paths"]["/page"]["get"]["responses"]["200"][
            "content"
        ]
    )


@check("response-plain-text")
def _(m, client):
    response = client.get("/text")
    assert (response.headers["content-type"], response.text) == (
        "text/plain; charset=utf-8",
        "Hello World",
    )


@check("response-streaming")
def _(m, client):
    with client.stream("GET", "/stream") as response:
        lines = list(response.iter_lines())
    assert lines == [str(n) for n in range(10)]


@check("response-file")
def _(m, client):
    response = client.get("/download")
    assert response.content == b"%PDF-1.4 probe"
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="report.pdf"' in response.headers["content-disposition"]


@check("static-files")
def _(m, client):
    assert client.get("/static/hello.txt").text == "hello static"
    assert client.get("/static/missing.txt").status_code == 404
    assert m.app.url_path_for("static", path="hello.txt") == "/static/hello.txt"


@check("templates-jinja2")
def _(m, client):
    response = client.get("/items/42")
    assert response.headers["content-type"].startswith("text/html")
    assert response.text == "<h1>Item 42</h1>"


# Security schemes, dependencies=[...], middleware, metadata


@check("auth-api-key-header")
def _(m, client):
    def use(key: m.ApiKeyDep) -> dict[str, str]:
        return {"key": key}

    probe_client = app_with_route("/probe", use)
    assert probe_client.get("/probe").status_code == 403
    assert probe_client.get("/probe", headers={"X-API-Key": "wrong"}).status_code == 403
    assert probe_client.get("/probe", headers={"X-API-Key": "change-me"}).json() == {
        "key": "change-me"
    }
    schemes = probe_client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert schemes == {"APIKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}


@check("auth-http-basic")
def _(m, client):
    def use(username: Annotated[str, Depends(m.get_current_username)]) -> dict[str, str]:
        return {"username": username}

    probe_client = app_with_route("/probe", use)
    assert probe_client.get("/probe", auth=("stanleyjobson", "swordfish")).json() == {
        "username": "stanleyjobson"
    }
    for auth in (("stanleyjobson", "wrong"), ("someone", "swordfish")):
        refused = probe_client.get("/probe", auth=auth)
        assert (refused.status_code, refused.headers["www-authenticate"]) == (401, "Basic")
    assert probe_client.get("/probe").status_code == 401


@check("auth-http-bearer")
def _(m, client):
    def use(token: Annotated[str, Depends(m.verify_token)]) -> dict[str, str]:
        return {"token": token}

    probe_client = app_with_route("/probe", use)
    good = probe_client.get("/probe", headers={"Authorization": "Bearer change-me"})
    assert good.json() == {"token": "change-me"}
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        refused = probe_client.get("/probe", headers=headers)
        assert (refused.status_code, refused.headers["www-authenticate"]) == (401, "Bearer")


@check("dep-on-route")
def _(m, client):
    assert client.get("/protected").status_code == 401
    assert client.get("/protected", headers=ALICE).json() == {"status": "authorized"}


@check("dep-on-router")
def _(m, client):
    assert client.get("/admin/").status_code == 401
    assert client.get("/admin/", headers=ALICE).json() == {"status": "authorized"}


@check("dep-on-app")
def _(m, client):
    @m.app.get("/anything")
    async def anything() -> dict[str, bool]:
        return {"ok": True}

    assert client.get("/anything").status_code == 422  # the header is required
    assert client.get("/anything", headers={"X-Tenant-Id": "other"}).status_code == 400
    assert client.get("/anything", headers={"X-Tenant-Id": "acme"}).json() == {"ok": True}


@check("middleware-gzip")
def _(m, client):
    @m.app.get("/big")
    async def big() -> str:
        return "x" * 5000

    compressed = client.get("/big", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["content-encoding"] == "gzip"
    assert compressed.json() == "x" * 5000  # httpx decompresses
    small = client.get("/openapi.json", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in small.headers


@check("middleware-trusted-host")
def _(m, client):
    assert client.get("http://api.example.com/openapi.json").status_code == 200
    refused = client.get("http://evil.test/openapi.json")
    assert (refused.status_code, refused.text) == (400, "Invalid host header")


@check("app-metadata")
def _(m, client):
    schema = client.get("/openapi.json").json()
    assert schema["info"]["title"] == "My API"
    assert schema["info"]["license"] == {"name": "MIT", "identifier": "MIT"}
    assert [tag["name"] for tag in schema["tags"]] == ["items", "users"]


# --------------------------------------------------------------------------------------------
# The tests.


def client_for(module: ModuleType, base_url: str = "http://testserver") -> TestClient | None:
    """A client on the module's app, or on an app including its routers."""
    values = list(vars(module).values())
    apps = [value for value in values if isinstance(value, FastAPI)]
    if apps:
        return TestClient(apps[0], base_url=base_url)
    routers = [value for value in values if isinstance(value, APIRouter)]
    if not routers:
        return None
    app = FastAPI()
    for router in routers:
        app.include_router(router)
    return TestClient(app, base_url=base_url)


def skip_unless_offered_here(snippet: knowledge.Snippet) -> None:
    if not INSTALLED.allows(snippet):
        minimums = {
            "FastAPI": snippet.min_fastapi,
            "Pydantic": snippet.min_pydantic,
            "Starlette": snippet.min_starlette,
        }
        needs = ", ".join(f"{name} {v}" for name, v in minimums.items() if v)
        installed = (
            f"FastAPI {INSTALLED.fastapi}, Pydantic {INSTALLED.pydantic}, "
            f"Starlette {INSTALLED.starlette}"
        )
        pytest.skip(f"{snippet.id} needs {needs}; installed: {installed}")


def route_matches(route: APIRoute | APIWebSocketRoute, method: str, path: str) -> bool:
    if not route.path_regex.match(path):
        return False
    return isinstance(route, APIWebSocketRoute) or method in route.methods


@pytest.mark.parametrize("snippet_id", MODULE_IDS)
def test_snippet_module_runs(snippet_id, tmp_path, monkeypatch, import_package):
    snippet = SNIPPETS[snippet_id]
    assert snippet_id in CHECKS, f"no check for {snippet_id}: add one to this file"
    skip_unless_offered_here(snippet)
    monkeypatch.chdir(tmp_path)  # .env files, sqlite databases
    for variable in ("APP_NAME", "DATABASE_URL"):
        monkeypatch.delenv(variable, raising=False)

    for relative, text in WORKING_FILES.get(snippet_id, {}).items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text, encoding="utf-8")
    package = package_name(snippet_id)
    write_package(tmp_path, package, build_source(snippet), EXTRA_FILES.get(snippet_id, {}))
    module = import_package(package)

    client = client_for(module, BASE_URLS.get(snippet_id, "http://testserver"))
    requested: list[tuple[str, str]] = []
    routes: list[APIRoute | APIWebSocketRoute] = []
    if client is not None:
        routes = [r for r in client.app.routes if isinstance(r, APIRoute | APIWebSocketRoute)]
        client.event_hooks["request"] = [
            lambda request: requested.append((request.method, request.url.path))
        ]
        assert client.get("/openapi.json").status_code == 200

    CHECKS[snippet_id](module, client)

    uncalled = [
        route.path
        for route in routes
        if not any(route_matches(route, method, path) for method, path in requested)
    ]
    assert not uncalled, f"the check of {snippet_id} never calls {uncalled}"


class Outcomes:
    """A pytest plugin counting the tests of an inner run."""

    def __init__(self) -> None:
        self.passed: list[str] = []
        self.failed: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.failed.append(report.nodeid)
        elif report.passed and report.when == "call":
            self.passed.append(report.nodeid)


@pytest.mark.parametrize("snippet_id", TEST_MODULE_IDS)
@pytest.mark.parametrize("broken", [False, True], ids=["app", "broken-app"])
def test_test_module_snippet_runs(snippet_id, broken, tmp_path):
    snippet = SNIPPETS[snippet_id]
    assert snippet_id in TEST_MODULE_OUTCOMES, f"no expected outcome for {snippet_id}"
    skip_unless_offered_here(snippet)
    directory = tmp_path / "inner"
    directory.mkdir()
    (directory / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    test_file = directory / f"test_{package_name(snippet_id, '_broken' if broken else '')}.py"
    test_file.write_text(build_source(snippet, broken=broken), encoding="utf-8")
    outcomes = Outcomes()
    # In-process, so no async plugin of the outer session is loaded twice.
    args = [str(test_file), "-q", "-W", "error", "-p", "no:cacheprovider"]
    args += ["-p", "no:asyncio", "-p", "no:pytest-lsp", "-p", "no:anyio"]
    args += ["--import-mode=importlib", "-c", str(directory / "pytest.ini")]
    try:
        pytest.main([*args, "--rootdir", str(directory)], plugins=[outcomes])
    finally:
        for name in [name for name in sys.modules if test_file.stem in name]:
            del sys.modules[name]
    expected = TEST_MODULE_OUTCOMES[snippet_id][broken]
    assert (len(outcomes.passed), len(outcomes.failed)) == expected, outcomes.__dict__


def test_every_snippet_has_an_expectation():
    assert set(MODULE_IDS) == set(CHECKS), "a check per snippet, none for a removed snippet"
    assert set(TEST_MODULE_IDS) == set(TEST_MODULE_OUTCOMES)
    assert all(kind_of(SNIPPETS[i]) == "test_module" for i in TEST_MODULE_IDS)


@pytest.mark.parametrize("snippet_id", IDS)
def test_expanded_module_is_lint_clean(snippet_id):
    """No undefined or unused name: the body defines what it uses, or lists it in requires."""
    source = build_source(SNIPPETS[snippet_id])
    result = subprocess.run(
        [
            *(sys.executable, "-m", "ruff", "check", "--isolated", "--select", "F,E,W,B"),
            *("--line-length", "100", "--output-format", "concise"),
            *("--stdin-filename", f"{package_name(snippet_id)}.py", "-"),
        ],
        input=source,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr + "\n" + source


@pytest.mark.parametrize("snippet_id", IDS)
def test_snippet_data_is_well_formed(snippet_id):
    snippet = SNIPPETS[snippet_id]
    text = expand(snippet)
    assert "\t" not in snippet.body
    assert snippet.body.count("$0") == 1, "exactly one final cursor"
    assert not text.startswith(("\n", " ")), "no leading blank line or indentation"
    for line in text.splitlines():
        assert line == line.rstrip(), f"trailing whitespace: {line!r}"
        indent = len(line) - len(line.lstrip(" "))
        assert indent % 4 == 0, f"indentation is not a multiple of 4: {line!r}"
    assert "\n" not in snippet.description and snippet.description.strip()
    assert all(re.fullmatch(r"[a-z0-9_]+", prefix) for prefix in snippet.prefixes)
    assert len(set(snippet.prefixes)) == len(snippet.prefixes)
    assert snippet.docs.startswith(("https://fastapi.tiangolo.com/", "https://docs.pydantic.dev/"))
    for statement in snippet.imports:
        (node,) = ast.parse(snippet_syntax.fill_variables(statement, DEFAULT_VARIABLES)).body
        assert isinstance(node, ast.Import | ast.ImportFrom)

    assert set(snippet.requires) <= ALLOWED_REQUIRES
    used = snippet_syntax.variables_in(snippet.body) - DERIVED_VARIABLES
    implied = {VARIABLE_REQUIRES[v] for v in used}
    assert set(snippet.requires) == implied, "requires must match the variables used"

    if "empty" in snippet.contexts:
        assert not snippet.requires, "an empty file has nothing a snippet could require"
    if "decorator" in snippet.contexts:
        assert snippet.body.startswith(("@{{target}}.", "@{{app}}.")), "the body replaces '@'"
    needed = {
        package
        for pattern, package in PACKAGE_OF.items()
        if re.search(pattern, text + "\n".join(snippet.imports))
    }
    assert needed <= set(snippet.packages), "say what to pip install in the item's documentation"
    if "{{app}}" in snippet.body and "test_module" not in snippet.contexts:
        assert "app_in_scope" in snippet.when, "offered only where the app is in scope"
    if "signature" in snippet.contexts:
        assert "\n" not in text and not text.rstrip().endswith(","), "one parameter"

    fastapi_min = Version(snippet.min_fastapi or "0")
    pydantic_min = Version(snippet.min_pydantic or "0")
    if re.search(r"Annotated\[.*(Depends|Query|Path|Body|Header|Cookie|Form)\(", text):
        assert fastapi_min >= Version("0.95"), "Annotated parameters need FastAPI 0.95"
    if "lifespan=" in text:
        assert fastapi_min >= Version("0.93"), "lifespan needs FastAPI 0.93"
    v2_only = r"model_dump|model_validate|ConfigDict|field_validator|model_validator|computed_field"
    if re.search(v2_only + "|pydantic_settings", text + " ".join(snippet.imports)):
        assert pydantic_min >= Version("2.0"), "Pydantic v2 API"


def test_status_codes_match_fastapi_status():
    deprecated = set(getattr(status, "__deprecated__", {}))
    expected = {
        name: getattr(status, name)
        for name in dir(status)
        if name.startswith(("HTTP_", "WS_")) and name not in deprecated
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = {name: getattr(status, name) for name in expected}
    names = [entry.name for entry in KB.status_codes]
    assert len(names) == len(set(names))
    installed = completion.Versions(starlette=Version(version("starlette")))
    offered = {e.name: e.code for e in KB.status_codes if installed.has_status(e)}
    assert offered == expected
    assert not deprecated & set(offered)
    for entry in KB.status_codes:
        assert entry.phrase and entry.phrase == entry.phrase.strip()

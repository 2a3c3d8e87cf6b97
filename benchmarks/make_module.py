"""Generate a realistic, deterministic ~5,000-line FastAPI module for benchmarks.

``make_module()`` returns the module text together with named cursor *sites*
(line/character in UTF-16 code units, as LSP counts them) picked from the
resource block nearest the middle of the file, so every request the benchmark
makes lands where the server has the most text on both sides of the cursor.

The module is valid Python that FastAPI can import: imports at the top, shared
dependencies, then one block per resource (Pydantic models with ``Field``
constraints and validators, an ``APIRouter`` with ``Annotated`` parameters and
dependencies), a few ``@app`` routes, comments and some non-ASCII strings.

Run ``python benchmarks/make_module.py > main.py`` to look at the output.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from string import Template


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (LSP's default position encoding)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Site:
    """A cursor position, plus the text a user would have typed there first.

    ``insert`` is applied with ``textDocument/didChange`` at (line, character)
    before the request; the request is then made at ``cursor``. ``trigger`` is
    the completion trigger character the last keystroke would produce.
    """

    line: int
    character: int
    insert: str = ""
    trigger: str | None = None

    @property
    def cursor(self) -> tuple[int, int]:
        return self.line, self.character + utf16_len(self.insert)


@dataclass(frozen=True)
class GeneratedModule:
    text: str
    sites: dict[str, Site] = field(default_factory=dict)

    @property
    def line_count(self) -> int:
        return self.text.count("\n")


# Nouns chosen so that ``<noun>``, ``<noun>_id`` and the fixed parameter names
# used by the templates (db, user, page, payload, session_id, ...) never clash.
_RESOURCES: tuple[tuple[str, str], ...] = (
    ("item", "items"),
    ("order", "orders"),
    ("customer", "customers"),
    ("invoice", "invoices"),
    ("product", "products"),
    ("supplier", "suppliers"),
    ("warehouse", "warehouses"),
    ("shipment", "shipments"),
    ("payment", "payments"),
    ("refund", "refunds"),
    ("coupon", "coupons"),
    ("review", "reviews"),
    ("category", "categories"),
    ("label", "labels"),
    ("account", "accounts"),
    ("team", "teams"),
    ("project", "projects"),
    ("task", "tasks"),
    ("comment", "comments"),
    ("attachment", "attachments"),
    ("webhook", "webhooks"),
    ("subscription", "subscriptions"),
    ("plan", "plans"),
    ("report", "reports"),
    ("notification", "notifications"),
    ("address", "addresses"),
    ("device", "devices"),
    ("ticket", "tickets"),
    ("article", "articles"),
    ("venue", "venues"),
    ("booking", "bookings"),
    ("vehicle", "vehicles"),
    ("driver", "drivers"),
    ("schedule", "schedules"),
    ("employee", "employees"),
    ("department", "departments"),
    ("contract", "contracts"),
    ("region", "regions"),
    ("survey", "surveys"),
    ("campaign", "campaigns"),
)

_EXTRA_FIELDS: tuple[str, ...] = (
    '    sku: str = Field(..., pattern=r"^[A-Z]{3}-[0-9]{4}$", examples=["ABC-0001"])',
    '    weight_kg: float | None = Field(default=None, gt=0, description="Poids net (kg)")',
    "    due_date: date | None = None",
    '    currency: str = Field(default="EUR", min_length=3, max_length=3)',
    "    is_public: bool = True",
    "    priority: int = Field(default=3, ge=1, le=5)",
    "    metadata: dict[str, str] = Field(default_factory=dict)",
    "    reference: UUID | None = None",
    '    city: str = Field(default="München", max_length=80)',
    '    unit_price: Decimal = Field(default=Decimal("0.00"), ge=0, description="Prix en €")',
)

_HEADER = r'''"""Inventory & fulfilment API.

Generated benchmark fixture for fastapi-ls: a single large module, the way
many real projects start before they are split into packages.
"""

import logging
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any
from uuid import UUID

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Body,
    Cookie,
    Depends,
    FastAPI,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    status,
)
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

logger = logging.getLogger("inventory")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
GREETING = "Grüß Gott — ようこそ — 欢迎"


class Settings(BaseModel):
    """Runtime configuration, read once at start-up."""

    model_config = ConfigDict(frozen=True)

    app_name: str = "Inventory API"
    debug: bool = False
    allowed_origins: list[str] = Field(default_factory=lambda: ["http://localhost:3000"])
    token_url: str = "/auth/token"


settings = Settings()

app = FastAPI(
    title=settings.app_name,
    version="1.4.2",
    description="Gestion des stocks et des commandes. 🚀",
)
app.add_middleware(
    CORSMiddleware,
    allow_origins=settings.allowed_origins,
    allow_methods=["*"],
    allow_headers=["*"],
)

oauth2_scheme = OAuth2PasswordBearer(tokenUrl=settings.token_url)


class Database:
    """In-memory stand-in for a real database session."""

    def __init__(self) -> None:
        self._tables: dict[str, dict[int, dict[str, Any]]] = {}
        self._next_id = 1

    def get(self, table: str, key: int) -> dict[str, Any] | None:
        return self._tables.get(table, {}).get(key)

    def list(self, table: str, **filters: Any) -> list[dict[str, Any]]:
        rows = list(self._tables.get(table, {}).values())
        for name, value in filters.items():
            if value is not None:
                rows = [row for row in rows if row.get(name) == value]
        return rows

    def insert(self, table: str, values: dict[str, Any]) -> dict[str, Any]:
        row = {"id": self._next_id, **values}
        self._tables.setdefault(table, {})[self._next_id] = row
        self._next_id += 1
        return row

    def update(self, table: str, key: int, values: dict[str, Any]) -> dict[str, Any]:
        row = self._tables[table][key]
        row.update(values, updated_at=datetime.now(timezone.utc))
        return row

    def delete(self, table: str, key: int) -> None:
        self._tables.get(table, {}).pop(key, None)


_database = Database()


def get_db() -> Iterator[Database]:
    # A generator dependency so the shape matches a real session-per-request setup.
    yield _database


DbDep = Annotated[Database, Depends(get_db)]


class User(BaseModel):
    id: int
    username: str
    full_name: str | None = None
    is_admin: bool = False
    disabled: bool = False


async def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> User:
    if not token:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Not authenticated",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return User(id=1, username="renée", full_name="Renée Müller")


async def get_active_user(user: Annotated[User, Depends(get_current_user)]) -> User:
    if user.disabled:
        raise HTTPException(status_code=status.HTTP_400_BAD_REQUEST, detail="Inactive user")
    return user


CurrentUser = Annotated[User, Depends(get_active_user)]


async def common_parameters(
    q: Annotated[str | None, Query(max_length=50)] = None,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    return {"q": q, "skip": skip, "limit": limit}


CommonsDep = Annotated[dict[str, Any], Depends(common_parameters)]


def audit(username: str, action: str, object_id: int) -> None:
    # Runs as a background task: never raise, a lost audit line must not fail a request.
    logger.info("audit user=%s action=%s id=%s", username, action, object_id)


@app.middleware("http")
async def add_process_time_header(request: Request, call_next: Any) -> Response:
    started = datetime.now(timezone.utc)
    response = await call_next(request)
    elapsed = (datetime.now(timezone.utc) - started).total_seconds()
    response.headers["X-Process-Time"] = f"{elapsed:.6f}"
    return response


@app.exception_handler(ValueError)
async def value_error_handler(request: Request, exc: ValueError) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": str(exc)})


@app.get("/", tags=["meta"])
async def root() -> dict[str, str]:
    return {"message": GREETING}


@app.get("/health", tags=["meta"], summary="Liveness probe")
async def health() -> dict[str, str]:
    return {"status": "ok"}
'''

_MODELS = Template(r'''

# ---------------------------------------------------------------------------
# ${Title}
# ---------------------------------------------------------------------------

${name}_router = APIRouter(prefix="/${names}", tags=["${names}"])


class ${Name}Status(str, Enum):
    draft = "draft"
    active = "active"
    archived = "archived"


class ${Name}Base(BaseModel):
    """Fields shared by every ${name} representation."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(..., min_length=1, max_length=120, examples=["${Title} #1"])
    description: str | None = Field(default=None, max_length=2_000)
    status: ${Name}Status = ${Name}Status.draft
    quantity: int = Field(default=1, ge=0, le=10_000)
    tags: list[str] = Field(default_factory=list)
${extra_fields}


class ${Name}Create(${Name}Base):
    """Payload accepted by ``POST /${names}``."""

    model_config = ConfigDict(extra="forbid")

    owner_id: int = Field(..., gt=0)
    external_ref: str | None = None

    @field_validator("name")
    @classmethod
    def name_must_not_be_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be blank")
        return value

    @field_validator("tags")
    @classmethod
    def normalise_tags(cls, value: list[str]) -> list[str]:
        # Deduplicate but keep the caller's order so responses stay stable.
        seen: dict[str, None] = {}
        for tag in value:
            seen.setdefault(tag.lower(), None)
        return list(seen)


class ${Name}Update(BaseModel):
    """Partial update; every field is optional."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = None
    status: ${Name}Status | None = None
    quantity: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def at_least_one_field(self) -> "${Name}Update":
        if not self.model_fields_set:
            raise ValueError("at least one field must be provided")
        return self


class ${Name}Out(${Name}Base):
    model_config = ConfigDict(from_attributes=True)

    id: int
    owner_id: int
    created_at: datetime
    updated_at: datetime | None = None


class ${Name}Page(BaseModel):
    items: list[${Name}Out]
    total: int
    page: int
    size: int


def get_${name}_or_404(
    ${name}_id: Annotated[int, Path(ge=1, description="Identifier of the ${name}")],
    db: DbDep,
) -> dict[str, Any]:
    row = db.get("${names}", ${name}_id)
    if row is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="${Title} not found")
    return row


${Name}Dep = Annotated[dict[str, Any], Depends(get_${name}_or_404)]


@${name}_router.get("/", response_model=${Name}Page, summary="List ${names}")
async def list_${names}(
    db: Annotated[Database, Depends(get_db)],
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    q: Annotated[str | None, Query(max_length=50)] = None,
    status_filter: Annotated[${Name}Status | None, Query(alias="status")] = None,
) -> dict[str, Any]:
    offset = (page - 1) * size
    rows = db.list("${names}", status=status_filter)
    if q:
        rows = [row for row in rows if q.lower() in row["name"].lower()]
    return {"items": rows[offset : offset + size], "total": len(rows), "page": page, "size": size}


@${name}_router.get("/{${name}_id}", response_model=${Name}Out)
async def read_${name}(${name}: ${Name}Dep) -> dict[str, Any]:
    return ${name}


@${name}_router.post("/", response_model=${Name}Out, status_code=status.HTTP_201_CREATED)
async def create_${name}(
    payload: Annotated[${Name}Create, Body()],
    db: DbDep,
    user: CurrentUser,
    background_tasks: BackgroundTasks,
) -> dict[str, Any]:
    values = {**payload.model_dump(), "created_at": datetime.now(timezone.utc)}
    row = db.insert("${names}", values)
    background_tasks.add_task(audit, user.username, "${name}.created", row["id"])
    return row


@${name}_router.patch("/{${name}_id}", response_model=${Name}Out)
async def update_${name}(${name}: ${Name}Dep, payload: ${Name}Update, db: DbDep) -> dict[str, Any]:
    changes = payload.model_dump(exclude_unset=True)
    return db.update("${names}", ${name}["id"], changes)


@${name}_router.delete("/{${name}_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_${name}(${name}: ${Name}Dep, db: DbDep, user: CurrentUser) -> Response:
    if not user.is_admin:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Admins only")
    db.delete("${names}", ${name}["id"])
    return Response(status_code=status.HTTP_204_NO_CONTENT)
''')

_VARIANTS: tuple[Template, ...] = (
    Template(r"""

@${name}_router.get("/export/csv", response_class=PlainTextResponse)
async def export_${names}(
    db: DbDep,
    accept_language: Annotated[str | None, Header()] = None,
) -> str:
    # CSV only: JSON consumers are expected to page through the list route.
    rows = db.list("${names}")
    lines = ["id,name,status"]
    lines.extend(f"{row['id']},{row['name']},{row['status']}" for row in rows)
    return "\n".join(lines)
"""),
    Template(r"""

@app.get("/stats/${names}", tags=["stats"])
async def ${name}_stats(db: DbDep, commons: CommonsDep) -> dict[str, int]:
    rows = db.list("${names}")
    return {"count": len(rows), "limit": commons["limit"]}
"""),
    Template(r"""

@${name}_router.post(
    "/bulk",
    response_model=list[${Name}Out],
    summary="Création en masse — ${names}",
)
async def bulk_create_${names}(
    payloads: Annotated[list[${Name}Create], Body()],
    db: DbDep,
    user: CurrentUser,
) -> list[dict[str, Any]]:
    # One insert per payload; a real backend would use a single multi-row statement.
    return [db.insert("${names}", {**p.model_dump(), "owner_id": user.id}) for p in payloads]
"""),
    Template(r'''

@${name}_router.put("/{${name}_id}/archive", response_model=${Name}Out)
async def archive_${name}(
    ${name}: ${Name}Dep,
    db: DbDep,
    session_id: Annotated[str | None, Cookie()] = None,
) -> dict[str, Any]:
    """Archive the ${name}; idempotent, so retries from flaky clients are safe. 🚀"""
    return db.update("${names}", ${name}["id"], {"status": ${Name}Status.archived})
'''),
)

_FOOTER = Template(r"""

${includes}


if __name__ == "__main__":
    import uvicorn

    uvicorn.run("main:app", reload=settings.debug)
""")


_DROP = "\x00"


def _resource(index: int) -> tuple[str, str]:
    singular, plural = _RESOURCES[index % len(_RESOURCES)]
    round_ = index // len(_RESOURCES)
    if round_:
        return f"{singular}{round_ + 1}", f"{plural}{round_ + 1}"
    return singular, plural


def _block(index: int) -> list[str]:
    name, names = _resource(index)
    class_name = "".join(part.title() for part in name.split("_"))
    extra = [_EXTRA_FIELDS[(index * 3 + k) % len(_EXTRA_FIELDS)] for k in range(index % 4)]
    values = {
        "name": name,
        "names": names,
        "Name": class_name,
        "Title": class_name,
        # A sentinel line, removed below, so a block without extra fields does not
        # get a stray blank line inside its class body.
        "extra_fields": "\n".join(extra) or _DROP,
    }
    text = _MODELS.substitute(values) + _VARIANTS[index % len(_VARIANTS)].substitute(values)
    return _with_gap([line for line in text.strip("\n").split("\n") if line != _DROP])


def _with_gap(lines: list[str]) -> list[str]:
    """Prefix the two blank lines PEP 8 puts between top-level definitions."""
    return ["", "", *lines]


def _find(lines: list[str], start: int, needle: str) -> int:
    for number in range(start, len(lines)):
        if needle in lines[number]:
            return number
    raise ValueError(f"{needle!r} not found after line {start}")


def _col(line: str, needle: str, offset: int = 0) -> int:
    index = line.index(needle) + offset
    return utf16_len(line[:index])


def _sites(lines: list[str], start: int, name: str, names: str) -> dict[str, Site]:
    """Locate the benchmark cursor positions inside the block starting at ``start``."""
    class_name = "".join(part.title() for part in name.split("_"))
    sites: dict[str, Site] = {}

    external_ref = _find(lines, start, "    external_ref: str | None = None")
    sites["model_body"] = Site(external_ref + 1, 0, insert="    ")

    list_decorator = _find(lines, start, f'@{name}_router.get("/", response_model=')
    sites["module_blank"] = Site(list_decorator - 2, 0, insert="ge")

    depends_line = _find(lines, list_decorator, "    db: Annotated[Database, Depends(get_db)],")
    sites["hover_depends"] = Site(depends_line, _col(lines[depends_line], "Depends", 2))

    rows_line = _find(lines, list_decorator, "rows[offset : offset + size]")
    sites["hover_variable"] = Site(rows_line, _col(lines[rows_line], "rows[offset", 7))

    read_decorator = _find(lines, start, f'@{name}_router.get("/{{{name}_id}}", response_model=')
    sites["keystroke_line"] = Site(read_decorator - 2, 0)
    sites["hover_response_model"] = Site(
        read_decorator, _col(lines[read_decorator], "response_model=", 3)
    )
    sites["response_model_value"] = Site(
        read_decorator, _col(lines[read_decorator], "response_model=", len("response_model="))
    )

    create_decorator = _find(lines, start, f'@{name}_router.post("/", response_model=')
    sites["decorator_at"] = Site(create_decorator - 2, 0, insert="@", trigger="@")
    create_return = _find(lines, create_decorator, "    return row")
    sites["action_start"] = Site(create_decorator, 0)
    sites["action_end"] = Site(create_return, utf16_len(lines[create_return]))

    update_def = _find(lines, start, f"async def update_{name}(")
    sites["route_params"] = Site(
        update_def, _col(lines[update_def], ") -> dict[str, Any]:"), insert=", "
    )
    # Guard against template drift silently moving a site onto the wrong text.
    assert f"{class_name}Update" in lines[update_def]
    assert names
    return sites


def make_module(target_lines: int = 5000) -> GeneratedModule:
    """Build the module; deterministic for a given ``target_lines``."""
    lines = _HEADER.strip("\n").split("\n")
    blocks: list[tuple[int, str, str]] = []
    footer_estimate = 60
    index = 0
    while len(lines) < target_lines - footer_estimate or index < 2:
        name, names = _resource(index)
        blocks.append((len(lines), name, names))
        lines.extend(_block(index))
        index += 1

    includes = "\n".join(f"app.include_router({name}_router)" for _, name, _ in blocks)
    lines.extend(_with_gap(_FOOTER.substitute(includes=includes).strip("\n").split("\n")))

    middle = len(lines) // 2
    start, name, names = min(blocks, key=lambda block: abs(block[0] - middle))
    text = "\n".join(lines) + "\n"
    return GeneratedModule(text=text, sites=_sites(lines, start, name, names))


if __name__ == "__main__":
    sys.stdout.write(make_module().text)

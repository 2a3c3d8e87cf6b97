"""Unit tests of the names snippets are pre-filled with: models by role, session, paths."""

from __future__ import annotations

import pytest

from fastapi_ls import knowledge
from fastapi_ls.analysis import analyse
from fastapi_ls.prefill import defaults, plural, prefill, snippet_imports

CONVENTIONS = knowledge.load().conventions

ROUTER_MODULE = '''\
"""Items."""
from fastapi import APIRouter, Depends as D
import fastapi as fa
from pydantic import BaseModel

from ..database import get_session
from ..schemas import ItemCreate, ItemPublic, SECRET

router = fa.APIRouter(prefix="/items")


class ItemBase(BaseModel):
    name: str


class ItemUpdate(ItemBase):
    name: str | None = None


def get_current_user():
    ...
'''

#: FastAPI's SQL tutorial: a SQLModel table between its schemas, the table not the last model.
SQL_TUTORIAL = """\
from typing import Annotated
from fastapi import Depends, FastAPI
from sqlmodel import Field, Session, SQLModel


class HeroBase(SQLModel):
    name: str


class Hero(HeroBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class HeroPublic(HeroBase):
    id: int


class HeroCreate(HeroBase):
    secret_name: str


class HeroUpdate(HeroBase):
    name: str | None = None


def get_session():
    yield


SessionDep = Annotated[Session, Depends(get_session)]
app = FastAPI()
"""


def values(source: str) -> dict[str, str]:
    return prefill(analyse(source), CONVENTIONS).values


def test_router_module_with_imported_schemas():
    found = prefill(analyse(ROUTER_MODULE), CONVENTIONS)
    assert found.values["target"] == "router"
    assert found.values["db_dep"] == "get_session"
    assert found.values["user_dep"] == "get_current_user"
    assert found.values["create_model"] == "ItemCreate"
    assert found.values["update_model"] == "ItemUpdate"
    assert found.values["response_model"] == "ItemPublic"
    # Only schemas in sight: the table is named by their stem and imported from beside them.
    assert found.values["model"] == "Item"
    assert found.imports == ("from ..schemas import Item",)
    assert found.values["collection"] == ""  # the router has a prefix
    assert found.conditions == {"update_model"}


def test_sql_tutorial_queries_the_table_not_the_last_model():
    found = values(SQL_TUTORIAL)
    assert found["model"] == "Hero"
    assert (found["create_model"], found["update_model"]) == ("HeroCreate", "HeroUpdate")
    assert found["response_model"] == "HeroPublic"
    assert found["session"] == "SessionDep"
    assert (found["query"], found["select_module"], found["async"]) == ("exec", "sqlmodel", "")
    assert found["collection"] == "/heroes"


def test_sqlalchemy_models_and_pydantic_schemas():
    source = (
        "from sqlalchemy.orm import DeclarativeBase, Session\n"
        "from fastapi import APIRouter\n"
        "from .schemas import CategoryCreate, CategoryRead\n"
        "from .database import get_db\n"
        "class Base(DeclarativeBase):\n    pass\n"
        "class Category(Base):\n    __tablename__ = 'categories'\n"
        "router = APIRouter()\n"
    )
    found = values(source)
    assert found["model"] == "Category"
    assert found["response_model"] == "CategoryRead"
    assert found["update_model"] == "CategoryUpdate"  # none yet: the PATCH snippet writes it
    assert found["session"] == "Annotated[Session, Depends(get_db)]"
    assert (found["query"], found["select_module"]) == ("scalars", "sqlalchemy")
    assert found["collection"] == "/categories"


def test_async_session():
    source = (
        "from sqlalchemy.ext.asyncio import AsyncSession\n"
        "from ..models import Order, OrderCreate\n"
        "from ..db import get_async_session\n"
    )
    found = values(source)
    assert (found["async"], found["await"]) == ("async ", "await ")
    assert found["session"] == "Annotated[AsyncSession, Depends(get_async_session)]"
    assert found["model"] == "Order"
    assert found["response_model"] == "Order"


def test_imported_session_alias():
    source = "from fastapi import FastAPI\nfrom .deps import SessionDep\napp = FastAPI()\n"
    found = prefill(analyse(source), CONVENTIONS)
    assert found.values["session"] == "SessionDep"
    assert "app_in_scope" in found.conditions


def test_no_doubled_suffixes():
    found = values("from pydantic import BaseModel\nclass ItemPublic(BaseModel):\n    id: int\n")
    assert found["update_model"] == "ItemUpdate"
    assert found["collection"] == "/items"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("hero", "heroes"),
        ("category", "categories"),
        ("day", "days"),
        ("box", "boxes"),
        ("address", "addresses"),
        ("item", "items"),
        ("person", "people"),
    ],
)
def test_plurals(word, expected):
    assert plural(word, CONVENTIONS) == expected


def test_defaults_match_the_sql_tutorial():
    found = defaults(CONVENTIONS)
    assert found["model"] == "Item"
    assert found["db_dep"] == "get_session"
    assert found["session"] == "Annotated[Session, Depends(get_session)]"


def test_imports_reduced_to_the_names_used():
    statements = [
        "from typing import Annotated",
        "from fastapi import Depends, HTTPException",
        "from {{session_module}} import {{session_class}}",
        "import sqlite3",
    ]
    names = {"session_module": "sqlmodel", "session_class": "Session"}
    code = "def f(session: SessionDep):\n    raise HTTPException(404)\n"
    assert snippet_imports(statements, names, code, ["from .models import Item"]) == [
        "from fastapi import HTTPException"
    ]
    code = "def f(s: Annotated[Session, Depends(g)], i: Item): sqlite3"
    assert snippet_imports(statements, names, code, ["from .models import Item"]) == [
        "from typing import Annotated",
        "from fastapi import Depends",
        "from sqlmodel import Session",
        "import sqlite3",
        "from .models import Item",
    ]


def test_broken_code_gives_values():
    found = values("class (BaseModel:\nfrom sqlmodel import\nSessionDep = Annotated[\n")
    assert found["model"] == "Item"


def test_app_scoped_snippets_need_the_app():
    kb = knowledge.load()
    router_module = prefill(analyse(ROUTER_MODULE), CONVENTIONS)
    app_module = prefill(analyse(SQL_TUTORIAL), CONVENTIONS)
    for snippet_id in ("middleware-cors", "decorator-exception-handler", "include-router"):
        assert not router_module.allows(kb.snippet(snippet_id))
        assert app_module.allows(kb.snippet(snippet_id))


def test_patch_snippet_brings_an_update_schema_only_when_the_file_has_none():
    kb = knowledge.load()
    with_update = prefill(analyse(SQL_TUTORIAL), CONVENTIONS)
    without = prefill(analyse("from fastapi import FastAPI\napp = FastAPI()\n"), CONVENTIONS)
    assert with_update.allows(kb.snippet("route-patch-item"))
    assert not with_update.allows(kb.snippet("route-patch-item-with-model"))
    assert without.allows(kb.snippet("route-patch-item-with-model"))
    assert not without.allows(kb.snippet("route-patch-item"))


@pytest.mark.parametrize(
    ("constructor", "expected"),
    [
        ('prefix="/auth"', "auth/"),
        ('prefix="/api/v1/auth/"', "api/v1/auth/"),
        ("", ""),
        ("prefix=PREFIX", ""),
        ('prefix="/"', ""),
    ],
)
def test_token_url_follows_the_router_prefix(constructor, expected):
    source = f"from fastapi import APIRouter\nrouter = APIRouter({constructor})\n"
    assert values(source)["route_prefix"] == expected

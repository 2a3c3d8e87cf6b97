"""Unit tests of the module analysis and of the names it gives to snippets."""

from __future__ import annotations

from fastapi_ls.analysis import analyse

ROUTER_MODULE = '''\
"""Items."""
from typing import Annotated

from fastapi import APIRouter, Depends as D, HTTPException
import fastapi as fa
from pydantic import BaseModel

from ..database import get_session
from ..schemas import ItemCreate, ItemPublic, SECRET

router = fa.APIRouter(prefix="/items")
admin_router: APIRouter = APIRouter()


class ItemBase(BaseModel):
    name: str


class ItemUpdate(ItemBase):
    name: str | None = None


class Plain:
    pass


def get_current_user():
    ...


def helper():
    ...


@router.get("/{item_id}")
async def read_item(item_id: int, session=D(get_session), other=Depends(helper)):
    ...
'''


def test_names_of_a_router_module():
    analysis = analyse(ROUTER_MODULE)
    assert analysis.imports_fastapi
    assert analysis.routers == ("router", "admin_router")
    assert analysis.apps == ()
    assert analysis.models == ("ItemBase", "ItemUpdate")
    assert analysis.imported_models == ("ItemCreate", "ItemPublic")
    assert analysis.path_operations == {"read_item"}
    assert "helper" in analysis.dependencies, "used in Depends(...)"
    assert {"get_current_user", "get_session"} <= set(analysis.dependencies)
    assert "read_item" not in analysis.dependencies
    assert analysis.origin("D") == "fastapi.Depends"
    assert analysis.origin("get_session") == "..database.get_session"


def test_models_through_aliases_and_sqlmodel():
    source = (
        "import pydantic\nfrom sqlmodel import SQLModel\n"
        "class A(pydantic.BaseModel):\n    x: int\n"
        "class B(SQLModel, table=True):\n    id: int\n"
        "class C(A, Generic[T]):\n    pass\n"
    )
    analysis = analyse(source)
    assert analysis.models == ("A", "B", "C")
    assert analysis.tables == ("B",)


def test_sqlalchemy_tables_and_dependency_aliases():
    source = (
        "from typing import Annotated\n"
        "from fastapi import Depends\n"
        "from sqlalchemy.orm import DeclarativeBase, Mapped, declarative_base\n"
        "from sqlalchemy.ext.asyncio import AsyncSession\n"
        "from .database import Base as ProjectBase\n"
        "from ..db import Base\n"
        "class Model(DeclarativeBase):\n    pass\n"
        "Legacy = declarative_base()\n"
        "class Item(Model):\n    __tablename__ = 'items'\n"
        "class Old(Legacy):\n    __tablename__ = 'old'\n"
        "class Imported(Base):\n    __tablename__ = 'imported'\n"
        "class NotATable:\n    pass\n"
        "SessionDep = Annotated[AsyncSession, Depends(get_session)]\n"
        "Settings = Annotated[Config, Depends(get_settings)]\n"
    )
    analysis = analyse(source)
    assert analysis.tables == ("Item", "Old", "Imported")
    assert analysis.models == ()
    assert analysis.dependency_aliases == {
        "SessionDep": ("AsyncSession", "get_session"),
        "Settings": ("Config", "get_settings"),
    }
    assert analysis.imports_module("sqlalchemy.ext.asyncio")
    assert not analysis.imports_module("sqlalchemy.ext.asyncio.engine")


def test_not_fastapi():
    analysis = analyse("import os\nfrom collections import OrderedDict\n")
    assert not analysis.imports_fastapi


def test_broken_code_still_gives_names():
    source = (
        "from fastapi import FastAPI, (\n"
        "app = FastAPI(\n"
        "class M(BaseModel:\n"
        "@app.get('/'\n"
        "async def f(\n"
    )
    analysis = analyse(source)
    assert analysis.apps == ("app",)
    assert analysis.path_operations == {"f"}


def test_multiline_parenthesised_import():
    source = "from fastapi import (\n    FastAPI,\n    Depends as Dep,  # comment\n)\n"
    analysis = analyse(source)
    assert analysis.origin("FastAPI") == "fastapi.FastAPI"
    assert analysis.origin("Dep") == "fastapi.Depends"

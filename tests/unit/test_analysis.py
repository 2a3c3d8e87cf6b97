"""Unit tests of the module analysis and of the names it gives to snippets."""

from __future__ import annotations

from fastapi_ls.analysis import DEFAULT_VARIABLES, analyse, snippet_variables

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


def test_variables_from_a_router_module():
    values = snippet_variables(analyse(ROUTER_MODULE))
    assert values["target"] == "router"
    assert values["db_dep"] == "get_session"
    assert values["user_dep"] == "get_current_user"
    assert values["create_model"] == "ItemCreate"
    assert values["response_model"] == "ItemPublic"


def test_variables_of_an_app_module_with_an_imported_router():
    source = "from fastapi import FastAPI\nfrom .routers.items import router\n\napi = FastAPI()\n"
    values = snippet_variables(analyse(source))
    assert values["app"] == "api"
    assert values["target"] == "api"


def test_defaults_without_names():
    assert snippet_variables(analyse("from fastapi import FastAPI\n")) == DEFAULT_VARIABLES


def test_models_through_aliases_and_sqlmodel():
    source = (
        "import pydantic\nfrom sqlmodel import SQLModel\n"
        "class A(pydantic.BaseModel):\n    x: int\n"
        "class B(SQLModel, table=True):\n    id: int\n"
        "class C(A, Generic[T]):\n    pass\n"
    )
    assert analyse(source).models == ("A", "B", "C")


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

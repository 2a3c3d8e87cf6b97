"""The hover cards of ``snippets/cards.toml`` against the installed FastAPI, Starlette, Pydantic.

Every symbol the server looks up has a card; every idiom is a self-contained module that runs
under the installed versions with warnings as errors; every ``signature`` names the callable
where the installed package documents its parameters; every curated parameter exists.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import symtable
import sys
import types
import typing
import warnings
from collections.abc import Callable
from urllib.parse import urlsplit

import annotated_doc
import pytest
import typing_extensions

from fastapi_ls import knowledge, param_docs

KB = knowledge.load()
CARDS = {card.id: card for card in KB.cards}

#: What the server looks cards up by: import origins as users write them, app and router
#: methods, class-body names.
REQUIRED_SYMBOLS = [
    # import origins
    "fastapi.FastAPI",
    "fastapi.APIRouter",
    "fastapi.Depends",
    "fastapi.Security",
    "fastapi.HTTPException",
    "fastapi.Path",
    "fastapi.Query",
    "fastapi.Body",
    "fastapi.Header",
    "fastapi.Cookie",
    "fastapi.Form",
    "fastapi.File",
    "fastapi.UploadFile",
    "fastapi.BackgroundTasks",
    "fastapi.Request",
    "fastapi.Response",
    "fastapi.WebSocket",
    "fastapi.WebSocketDisconnect",
    "fastapi.status",
    "fastapi.responses.JSONResponse",
    "fastapi.responses.StreamingResponse",
    "fastapi.responses.RedirectResponse",
    "fastapi.responses.HTMLResponse",
    "fastapi.responses.PlainTextResponse",
    "fastapi.responses.FileResponse",
    "fastapi.testclient.TestClient",
    "fastapi.security.OAuth2PasswordBearer",
    "fastapi.security.OAuth2PasswordRequestForm",
    "fastapi.middleware.cors.CORSMiddleware",
    "typing.Annotated",
    "typing_extensions.Annotated",
    "contextlib.asynccontextmanager",
    "pydantic.BaseModel",
    "pydantic.Field",
    "pydantic.ConfigDict",
    "pydantic.field_validator",
    "pydantic.model_validator",
    "pydantic.EmailStr",
    "pydantic_settings.BaseSettings",
    "pydantic_settings.SettingsConfigDict",
    # the Starlette spellings
    "starlette.requests.Request",
    "starlette.responses.Response",
    "starlette.responses.JSONResponse",
    "starlette.responses.StreamingResponse",
    "starlette.responses.RedirectResponse",
    "starlette.responses.HTMLResponse",
    "starlette.responses.PlainTextResponse",
    "starlette.responses.FileResponse",
    "starlette.status",
    "starlette.websockets.WebSocket",
    "starlette.websockets.WebSocketDisconnect",
    "starlette.middleware.cors.CORSMiddleware",
    "starlette.testclient.TestClient",
    "starlette.background.BackgroundTasks",
    # methods of an app or a router
    *(
        f"fastapi.{owner}.{method}"
        for owner in ("FastAPI", "APIRouter")
        for method in (
            "get",
            "post",
            "put",
            "patch",
            "delete",
            "head",
            "options",
            "api_route",
            "websocket",
            "include_router",
        )
    ),
    "fastapi.FastAPI.add_middleware",
    "fastapi.FastAPI.exception_handler",
    "fastapi.FastAPI.middleware",
    # class-body names
    "pydantic.BaseModel.model_config",
    "pydantic_settings.BaseSettings.model_config",
]

#: Symbols of names users still write that no longer exist in the installed packages.
REMOVED_NAMES = {"pydantic.BaseSettings"}  # moved to pydantic-settings in Pydantic 2

OFFICIAL_HOSTS = {"fastapi.tiangolo.com", "www.starlette.io", "docs.pydantic.dev"}

#: The ``Doc`` classes FastAPI's parameter annotations may carry (FastAPI 0.165 uses
#: ``annotated_doc.Doc``; older releases used ``typing_extensions.Doc``).
DOC_CLASSES = tuple({annotated_doc.Doc, getattr(typing_extensions, "Doc", annotated_doc.Doc)})

MAX_RENDERED_LINES = 25


def typed_dict_keys(cls: type) -> set[str]:
    return set(cls.__required_keys__) | set(cls.__optional_keys__)


def parameter_names(function: Callable[..., object]) -> set[str]:
    return set(inspect.signature(function).parameters)


def _cors_params() -> set[str]:
    from starlette.middleware.cors import CORSMiddleware

    return parameter_names(CORSMiddleware.__init__)


def _test_client_params() -> set[str]:
    from starlette.testclient import TestClient

    return parameter_names(TestClient.__init__)


def _config_dict_keys() -> set[str]:
    from pydantic import ConfigDict

    return typed_dict_keys(ConfigDict)


def _settings_config_dict_keys() -> set[str]:
    from pydantic_settings import SettingsConfigDict

    return typed_dict_keys(SettingsConfigDict)


#: Where the curated ``params`` of a card without ``signature`` must come from: the installed
#: package has the names but documents none of them.
CURATED_PARAM_SOURCES: dict[str, Callable[[], set[str]]] = {
    "cors-middleware": _cors_params,
    "test-client": _test_client_params,
    "config-dict": _config_dict_keys,
    "settings-config-dict": _settings_config_dict_keys,
}


def resolve(dotted: str) -> object:
    """The object of ``package.module.Name.attr``: the longest importable module, then getattr."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(dotted)


def resolve_signature(signature: str) -> Callable[..., object]:
    module_name, _, qualified = signature.partition(":")
    obj: object = importlib.import_module(module_name)
    for name in qualified.split("."):
        obj = getattr(obj, name)
    assert callable(obj), signature
    return obj


def documented_parameters(function: Callable[..., object]) -> set[str]:
    """Parameters annotated ``Annotated[..., Doc("...")]``."""
    hints = typing.get_type_hints(function, include_extras=True)
    return {
        name
        for name, hint in hints.items()
        if any(isinstance(meta, DOC_CLASSES) for meta in getattr(hint, "__metadata__", ()))
    }


def idiom_lines(card: knowledge.Card) -> list[str]:
    return card.idiom.strip("\n").splitlines()


def rendered_lines(card: knowledge.Card) -> int:
    """Title, summary, the fenced idiom, the mistake, since and docs, one line each at least."""
    count = 2  # title and summary
    if card.idiom:
        count += len(idiom_lines(card)) + 2  # the ``` fences
    count += len(card.mistake.splitlines())
    count += 1 if card.since else 0
    count += 1  # docs link
    return count


def undefined_names(source: str) -> set[str]:
    """Global names read but neither imported, assigned nor builtin."""
    top = symtable.symtable(source, "<idiom>", "exec")
    defined = {
        symbol.get_name()
        for symbol in top.get_symbols()
        if symbol.is_assigned() or symbol.is_imported()
    }
    read: set[str] = set()

    def walk(table: symtable.SymbolTable) -> None:
        for symbol in table.get_symbols():
            if symbol.is_referenced() and symbol.is_global():
                read.add(symbol.get_name())
        for child in table.get_children():
            walk(child)

    walk(top)
    return read - defined - set(dir(builtins))


SIGNED = [card for card in KB.cards if card.signature]
FASTAPI_SIGNED = [card for card in SIGNED if card.signature.startswith("fastapi.")]
WITH_IDIOM = [card for card in KB.cards if card.idiom]


def ids(cards: list[knowledge.Card]) -> list[str]:
    return [card.id for card in cards]


# --------------------------------------------------------------------------------------------
# Coverage and shape


@pytest.mark.parametrize("symbol", REQUIRED_SYMBOLS)
def test_every_symbol_has_a_card(symbol):
    assert KB.card(symbol) is not None, f"no card for {symbol}"


def test_card_ids_are_unique():
    assert len(CARDS) == len(KB.cards)


@pytest.mark.parametrize("symbol", sorted({s for card in KB.cards for s in card.symbols}))
def test_every_symbol_names_something_installed(symbol):
    if symbol in REMOVED_NAMES:
        with pytest.raises(ImportError):
            resolve(symbol)
        return
    resolve(symbol)


def test_the_same_object_has_one_card():
    cards_by_object: dict[int, set[str]] = {}
    names: dict[int, list[str]] = {}
    for card in KB.cards:
        for symbol in card.symbols:
            if symbol in REMOVED_NAMES:
                continue
            key = id(resolve(symbol))
            cards_by_object.setdefault(key, set()).add(card.id)
            names.setdefault(key, []).append(symbol)
    split = {tuple(names[key]): cards for key, cards in cards_by_object.items() if len(cards) > 1}
    assert not split


@pytest.mark.parametrize("card", KB.cards, ids=ids(KB.cards))
def test_card_text_fits(card):
    assert card.title and "\n" not in card.title
    assert card.summary and "\n" not in card.summary
    assert card.mistake and len(card.mistake.splitlines()) <= 2
    assert all(text and "\n" not in text for text in card.params.values())
    assert rendered_lines(card) <= MAX_RENDERED_LINES


@pytest.mark.parametrize("card", KB.cards, ids=ids(KB.cards))
def test_docs_link_is_official(card):
    url = urlsplit(card.docs)
    assert url.scheme == "https"
    assert url.hostname in OFFICIAL_HOSTS


# --------------------------------------------------------------------------------------------
# Idioms


@pytest.mark.parametrize("card", WITH_IDIOM, ids=ids(WITH_IDIOM))
def test_idiom_is_short_python(card):
    assert 3 <= len(idiom_lines(card)) <= 10
    tree = ast.parse(card.idiom)
    assert any(isinstance(node, ast.Import | ast.ImportFrom) for node in tree.body)


@pytest.mark.parametrize("card", WITH_IDIOM, ids=ids(WITH_IDIOM))
def test_idiom_imports_what_it_uses(card):
    assert not undefined_names(card.idiom)


@pytest.mark.parametrize("card", WITH_IDIOM, ids=ids(WITH_IDIOM))
def test_idiom_runs_without_warnings(card):
    """Import the idiom as a module (routes registered, models built) and run its tests."""
    name = f"_card_idiom_{card.id.replace('-', '_')}"
    module = types.ModuleType(name)
    sys.modules[name] = module
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            exec(compile(card.idiom, f"<card {card.id}>", "exec"), module.__dict__)
            for attribute, value in vars(module).items():
                if attribute.startswith("test_") and callable(value):
                    value()
    finally:
        del sys.modules[name]


# --------------------------------------------------------------------------------------------
# Signatures and parameters


@pytest.mark.parametrize("card", SIGNED, ids=ids(SIGNED))
def test_signature_resolves_where_it_is_defined(card):
    module_name, _, qualified = card.signature.partition(":")
    function = resolve_signature(card.signature)
    # The server parses that module's source: the callable must be defined there, not
    # re-exported or inherited.
    assert function.__module__ == module_name
    assert function.__qualname__ == qualified


@pytest.mark.parametrize("card", FASTAPI_SIGNED, ids=ids(FASTAPI_SIGNED))
def test_fastapi_signature_documents_parameters_with_doc(card):
    assert documented_parameters(resolve_signature(card.signature))


@pytest.mark.parametrize("card", SIGNED, ids=ids(SIGNED))
def test_server_reads_the_signature_docs(card):
    docs = param_docs.read_signature(card.signature, sys.path)
    assert docs, f"{card.signature} not found in the installed sources"
    assert any(doc.doc for doc in docs.values())


@pytest.mark.parametrize("card", SIGNED, ids=ids(SIGNED))
def test_params_are_parameters_of_the_signature(card):
    names = parameter_names(resolve_signature(card.signature))
    assert set(card.params) <= names


CURATED_ONLY = [card for card in KB.cards if card.params and not card.signature]


@pytest.mark.parametrize("card", CURATED_ONLY, ids=ids(CURATED_ONLY))
def test_params_without_signature_exist(card):
    assert card.id in CURATED_PARAM_SOURCES, f"say where the params of {card.id!r} come from"
    assert set(card.params) <= CURATED_PARAM_SOURCES[card.id]()


def test_undefined_names_sees_nested_scopes():
    source = "import os\nclass A:\n    x: Missing\n    def f(self):\n        return os, gone\n"
    assert undefined_names(source) == {"Missing", "gone"}

"""Every hover card shows on its symbol, whatever library it belongs to.

What decides whether a card shows is the data: a card written for ``sqlalchemy.orm.Session``
must show on ``Session`` without any list in the code naming SQLAlchemy.  Unit level, through
``hover.hover`` with the file's own imports.
"""

from __future__ import annotations

import pytest

from fastapi_ls import hover, knowledge
from fastapi_ls.analysis import analyse

KB = knowledge.load()
SYMBOLS = sorted({symbol for card in KB.cards for symbol in card.symbols})

SESSION_CARD = """\
[[card]]
id = "sqlalchemy-session"
symbols = ["sqlalchemy.orm.Session"]
title = "Session"
summary = "A unit of work with the database."
docs = "https://docs.sqlalchemy.org/en/20/orm/session_basics.html"
"""


def hover_name(knowledge_base: knowledge.KnowledgeBase, module: str, line: int, column: int):
    lines = module.splitlines(keepends=True)
    return hover.hover(
        hover.HoverRequest(
            lines=lines,
            line=line,
            column=column,
            analysis=analyse(module),
            knowledge=knowledge_base,
            path="app/module.py",
            markdown=True,
            param_docs=lambda signature, parameter: None,
            imports=lambda origin: None,
        )
    )


def module_using(symbol: str) -> str:
    """A module where the cursor (line 3, column 5) is on ``symbol``."""
    owner, _, name = symbol.rpartition(".")
    if name in hover.CLASS_BODY_NAMES:
        package, _, base = owner.rpartition(".")
        return f"from {package} import {base}\n\nclass Model({base}):\n    {name} = {{}}\n"
    # Cards on standard-library names are for FastAPI modules.
    return f"from fastapi import FastAPI\nfrom {owner} import {name}\n\n    {name}\n"


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_each_card_shows_on_its_symbol(symbol):
    found = hover_name(KB, module_using(symbol), 3, 5)
    assert found is not None, symbol
    assert KB.card(symbol).title in found.text


def test_a_card_of_any_library_shows(tmp_path):
    (tmp_path / "cards.toml").write_text(SESSION_CARD, encoding="utf-8")
    knowledge_base = knowledge.load.__wrapped__(tmp_path)
    module = "from sqlalchemy.orm import Session\n\n\ndef save(session: Session): ...\n"
    found = hover_name(knowledge_base, module, 3, module.splitlines()[3].index("Session") + 2)
    assert found is not None
    assert "A unit of work with the database." in found.text


def test_names_of_the_project_are_not_taken_for_a_library():
    module = "from app.routers.items import router\n\nrouter\n"
    assert hover_name(KB, module, 2, 1) is None


def test_idiom_cards_on_standard_library_names_stay_in_fastapi_modules():
    plain = "import typing\n\nx: typing.Annotated[int, 1] = 1\n"
    assert hover_name(KB, plain, 2, 12) is None
    fastapi_module = (
        "from fastapi import Query\nimport typing\n\nq: typing.Annotated[int, Query()]\n"
    )
    assert hover_name(KB, fastapi_module, 3, 12) is not None

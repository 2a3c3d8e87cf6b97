"""Test-client calls read from text, their paths completed and matched to routes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fastapi_ls import route_calls
from fastapi_ls.workspace_index import WorkspaceIndex

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "routes"


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> WorkspaceIndex:
    root = Path(shutil.copytree(FIXTURES / "template", tmp_path_factory.mktemp("t") / "template"))
    built = WorkspaceIndex([root])
    built.build()
    return built


def test_calls_are_read_with_their_method_function_and_pieces():
    lines = [
        "def test_read(client):\n",
        '    r = client.get(f"{settings.API_V1_STR}/items/{item.id}", headers=h)\n',
        "async def test_ws(ac):\n",
        '    async with ac.websocket_connect("/ws") as ws:\n',
        '@app.get("/not-a-call")\n',
        'value = data.get("key")\n',
    ]
    first, second = route_calls.find_calls(lines)
    assert (first.method, first.function, first.closed, first.fstring) == (
        "GET",
        "test_read",
        True,
        True,
    )
    assert first.text(lambda name: "/api/v1" if name == "settings.API_V1_STR" else None) == (
        "/api/v1/items/" + route_calls.UNKNOWN
    )
    assert (second.method, second.function, second.pieces) == ("WS", "test_ws", ("/ws",))


def test_an_unclosed_string_is_a_call_while_typing():
    call = route_calls.call_at(['client.post("/ite'], 0, 17)
    assert call is not None and not call.closed and call.pieces == ("/ite",)
    assert route_calls.call_at(['client.post("/ite'], 0, 3) is None


def test_snippet_text_makes_parameters_placeholders_and_escapes_the_rest():
    assert route_calls.snippet_text("/items/{id}/x/{name:path}") == "/items/${1:id}/x/${2:name}"
    assert route_calls.snippet_text("/cost/$}") == "/cost/\\$\\}"


def test_completion_keeps_a_resolved_prefix_and_filters_by_what_is_typed(index):
    table = route_calls.PathTable(index.routes())
    line = 'client.put(f"{settings.API_V1_STR}/it")'
    call = route_calls.call_at([line], 0, line.index("/it") + 3)
    found, more = route_calls.complete_path(
        call, line.index("/it") + 3, table, lambda name: "/api/v1"
    )
    assert [(c.path, c.text, c.snippet) for c in found] == [
        ("/api/v1/items/{id}", "/items/{id}", "/items/${1:id}")
    ]
    assert not more
    assert (found[0].start, found[0].end) == (line.index("/it"), line.index("/it") + 3)
    unresolved, _ = route_calls.complete_path(call, line.index("/it") + 3, table, lambda _: None)
    assert unresolved == []


def test_completion_stops_at_the_limit(index):
    table = route_calls.PathTable(index.routes())
    call = route_calls.call_at(['client.get("/")'], 0, 13)
    found, more = route_calls.complete_path(call, 13, table, lambda _: None, limit=2)
    assert len(found) == 2 and more


def test_a_literal_segment_wins_and_an_unknown_one_takes_the_parameter(index):
    targets = route_calls.RouteTargets(index.routes())
    (me,) = targets.match("GET", "/api/v1/users/me")
    assert me.endpoint == "read_user_me"
    (by_id,) = targets.match("GET", f"/api/v1/users/{route_calls.UNKNOWN}")
    assert by_id.endpoint == "read_user_by_id"
    assert targets.match("POST", "/api/v1/users/me") == []
    assert targets.match("GET", "/api/v1/items/?skip=1")[0].endpoint == "read_items"


def test_settings_prefixes_resolve_through_the_index(index):
    main = Path(index.roots[0]) / "app" / "main.py"
    assert index.resolve_string(main, "settings.API_V1_STR") == "/api/v1"
    assert index.resolve_string(main, "settings.MISSING") is None

"""Unit tests of the workspace index: diagnostics, incremental updates, search, tolerant parsing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fastapi_ls.workspace_index import (
    DEPENDS_CALLED,
    DUPLICATE_ROUTE,
    PATH_PARAM_MISSING,
    ROUTER_NOT_INCLUDED,
    WorkspaceIndex,
)
from fastapi_ls.workspace_index.parsing import parse_module

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "routes"


def built(*roots: Path) -> WorkspaceIndex:
    index = WorkspaceIndex(roots)
    index.build()
    return index


@pytest.fixture
def template(tmp_path) -> Path:
    return Path(shutil.copytree(FIXTURES / "template", tmp_path / "template"))


def labels(index: WorkspaceIndex) -> set[str]:
    return {route.label for route in index.routes()}


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines()) if text in line)


# diagnostics -------------------------------------------------------------------------------


def test_each_seeded_mistake_is_reported_once_where_it_is():
    main = FIXTURES / "mistakes" / "main.py"
    found = {
        (diagnostic.code, diagnostic.span[0]) for diagnostic in built(main.parent).diagnostics(main)
    }
    assert found == {
        (DUPLICATE_ROUTE, line_of(main, '@app.get("/items/{id}")')),
        (PATH_PARAM_MISSING, line_of(main, '@app.get("/orders/{order_id}")')),
        (ROUTER_NOT_INCLUDED, line_of(main, "forgotten = APIRouter")),
        (DEPENDS_CALLED, line_of(main, "Depends(get_db())")),
    }


def test_depends_called_points_at_the_call():
    main = FIXTURES / "mistakes" / "main.py"
    (diagnostic,) = [d for d in built(main.parent).diagnostics(main) if d.code == DEPENDS_CALLED]
    line = main.read_text().splitlines()[diagnostic.span[0]]
    assert line[diagnostic.span[1] : diagnostic.span[3]] == "get_db()"


def test_unincluded_routers_are_listed_with_their_routes_outside_any_app():
    index = built(FIXTURES / "mistakes")
    (router,) = index.unincluded_routers()
    assert (router.name, router.prefix) == ("forgotten", "/forgotten")
    (orphan,) = [route for route in index.routes_in_file(router.file) if route.app is None]
    assert (orphan.label, orphan.endpoint) == ("GET /forgotten/", "never_served")
    assert "GET /forgotten/" not in labels(index)


def test_an_include_the_index_cannot_follow_silences_the_unincluded_check():
    index = built(FIXTURES / "dynamic_include")
    assert index.unincluded_routers() == ()
    assert index.snapshot.diagnostics == {}


def test_a_conditional_route_twice_is_no_duplicate(tmp_path):
    (tmp_path / "main.py").write_text(
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n"
        "if DEBUG:\n    @app.get('/x')\n    def a(): ...\n"
        "else:\n    @app.get('/x')\n    def b(): ...\n"
    )
    index = built(tmp_path)
    assert len(index.routes()) == 2
    assert index.snapshot.diagnostics == {}


# incremental updates ------------------------------------------------------------------------


def test_an_edit_adds_a_route_under_its_full_path(template):
    index = built(template)
    items = template / "app/api/routes/items.py"
    text = (
        items.read_text()
        + '\n\n@router.get("/{id}/owner")\ndef item_owner(id: int) -> int:\n    return id\n'
    )
    index.update_document(items, text)
    (route,) = index.match_path("GET", "/api/v1/items/7/owner")
    assert (route.endpoint, route.path) == ("item_owner", "/api/v1/items/{id}/owner")
    assert [link.name for link in route.chain] == ["api_router", "router"]


def test_a_settings_edit_moves_every_route(template):
    index = built(template)
    config = template / "app/core/config.py"
    index.update_document(config, config.read_text().replace('"/api/v1"', '"/api/v2"'))
    assert all(label.split()[1].startswith("/api/v2/") for label in labels(index))


def test_a_module_that_stops_parsing_keeps_its_routes(template):
    index = built(template)
    users = template / "app/api/routes/users.py"
    before = index.routes_in_file(users)
    index.update_document(users, users.read_text() + '\n@router.get("/broken\ndef (:\n')
    assert index.routes_in_file(users) == before
    assert str(users) in index.snapshot.stale_files
    index.close_document(users)
    assert index.routes_in_file(users) == before
    assert not index.snapshot.stale_files


def test_files_created_changed_and_deleted_on_disk(template):
    index = built(template)
    utils = template / "app/api/routes/utils.py"
    extra = template / "app/api/routes/extra.py"
    extra.write_text(
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n@router.get('/x')\ndef x(): ...\n"
    )
    index.file_changed(extra)
    assert [router.name for router in index.unincluded_routers()] == ["router"]
    main = template / "app/api/main.py"
    main.write_text(
        main.read_text().replace("import items,", "import extra, items,")
        + "api_router.include_router(extra.router)\n"
    )
    index.file_changed(main)
    assert "GET /api/v1/x" in labels(index)
    assert index.unincluded_routers() == ()
    index.file_deleted(utils)
    assert not any(label.startswith("GET /api/v1/utils") for label in labels(index))


def test_an_open_document_wins_over_the_disk(template):
    index = built(template)
    items = template / "app/api/routes/items.py"
    index.update_document(items, items.read_text().replace('prefix="/items"', 'prefix="/things"'))
    index.file_changed(items)
    assert "GET /api/v1/things/" in labels(index)


# search and matching --------------------------------------------------------------------------


def test_find_routes_by_substring_then_fuzzy():
    index = built(FIXTURES / "template")
    assert index.find_routes("get /api/v1/items/{id}")[0].endpoint == "read_item"
    assert [r.endpoint for r in index.find_routes("users/me")] == ["read_user_me", "delete_user_me"]
    assert index.find_routes("pst lgn acc")[0].endpoint == "login_access_token"
    assert index.find_routes("zzz") == []


def test_match_path_prefers_literal_segments_and_accepts_placeholders():
    index = built(FIXTURES / "template")
    assert [r.endpoint for r in index.match_path("GET", "/api/v1/users/me?x=1")] == [
        "read_user_me",
        "read_user_by_id",
    ]
    assert [r.endpoint for r in index.match_path("delete", "/api/v1/items/{item.id}")] == [
        "delete_item"
    ]
    assert index.match_path("GET", "/api/v1/nothing") == []


def test_route_at_covers_decorators_and_def():
    path = FIXTURES / "flat" / "main.py"
    index = built(path.parent)
    decorator = line_of(path, '@app.head("/health")')
    routes = index.route_at(path, decorator)
    assert sorted(route.label for route in routes) == ["GET /health", "HEAD /health"]
    assert index.route_at(path, 0) == ()


def test_a_project_without_fastapi(tmp_path):
    (tmp_path / "tool.py").write_text("import flask\n")
    assert not built(tmp_path).is_fastapi_project()


def test_files_beyond_the_size_cap_and_symlinks_are_not_read(tmp_path):
    (tmp_path / "big.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n" + "#" * 2000)
    (tmp_path / "link.py").symlink_to(FIXTURES / "flat" / "main.py")
    index = WorkspaceIndex([tmp_path], max_file_bytes=1000)
    index.build()
    assert index.apps() == ()


# tolerant parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "broken",
    [
        "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n",
        "def f[T](x: T) -> T:\n    return x\n",
        "x = call(\n    a b,\n    c)\n",
        "@decorator(\n",
        "class C(:\n    pass\n",
    ],
)
def test_repair_keeps_the_routes_around_a_broken_statement(broken):
    text = f'@router.get("/a")\ndef a(): ...\n\n{broken}\n\n@router.get("/b")\ndef b(): ...\n'
    tree, _ = parse_module(text)
    assert tree is not None
    names = [
        node.name for node in tree.body if hasattr(node, "decorator_list") and node.decorator_list
    ]
    assert names[0] == "a"
    assert "b" in names or broken == "@decorator(\n"


def test_incremental_updates_agree_with_a_fresh_build(template):
    index = built(template)
    edits = {
        "app/core/config.py": ('"/api/v1"', '"/api/v3"'),
        "app/api/main.py": ("api_router = APIRouter()", 'api_router = APIRouter(prefix="/x")'),
        "app/api/routes/items.py": ('"/{id}"', '"/{item_id}/detail"'),
        "app/api/routes/login.py": ('tags=["login"]', 'tags=["login"], prefix="/auth"'),
    }
    for name, (old, new) in edits.items():
        path = template / name
        text = path.read_text().replace(old, new)
        index.update_document(path, text)
        path.write_text(text)
    fresh = built(template)

    def table(of: WorkspaceIndex) -> list[tuple]:
        return [(r.label, r.file, r.decorator, r.tags, r.condition) for r in of.routes()]

    assert table(index) == table(fresh)
    assert "GET /api/v3/x/items/{item_id}/detail" in labels(index)

"""Test-client calls over LSP: the project's paths complete in ``client.get("…")`` (f-strings
with the settings prefix too), the string leads to and describes its endpoint, an endpoint's
references are the calls that reach it, and CodeLens counts them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from helpers import (
    SERVER,
    apply_edits,
    client_position,
    complete,
    open_document,
    plain,
    route_table,
    start_session,
    template_project,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

TESTS = "tests/api/routes"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return template_project(tmp_path_factory.mktemp("calls"))


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, template: Path):
    lsp_client.initialize_result = await start_session(lsp_client, "vscode", template)
    await route_table(lsp_client)
    yield
    await lsp_client.shutdown_session()


def opened(client: LanguageClient, path: Path) -> tuple[str, str]:
    text = path.read_text(encoding="utf-8")
    return open_document(client, path, text), text


def find(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
    """(line, column) of ``needle`` in ``text``, plus ``offset`` columns."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return line, index - (text.rfind("\n", 0, index) + 1)


async def test_a_literal_path_completes_with_the_methods_paths(client, template):
    uri, text = opened(client, template / TESTS / "test_new.py")
    line, column = find(text, '"/api/v1/', len('"/api/v1/'))
    items = await complete(client, uri, text, line, column)
    labels = [item.label for item in items]
    assert "/api/v1/items/{id}" in labels and "/api/v1/utils/health-check/" in labels
    assert "/api/v1/login/access-token" not in labels, "a POST route is not offered to get()"
    item = next(item for item in items if item.label == "/api/v1/items/{id}")
    assert item.insert_text_format == types.InsertTextFormat.Snippet
    assert item.text_edit.new_text == "/api/v1/items/${1:id}"
    done = apply_edits(text, [item.text_edit], client.position_encoding)
    assert 'client.get("/api/v1/items/${1:id}")' in done


async def test_an_fstring_keeps_the_settings_prefix(client, template):
    uri, text = opened(client, template / TESTS / "test_new.py")
    line, column = find(text, 'API_V1_STR}/"', len("API_V1_STR}/"))
    items = await complete(client, uri, text, line, column)
    labels = [item.label for item in items]
    assert labels == ["/api/v1/items/{id}"], "put() reaches one route"
    done = apply_edits(text, [items[0].text_edit], client.position_encoding)
    assert 'client.put(f"{settings.API_V1_STR}/items/${1:id}")' in done


async def test_definition_and_hover_on_the_string_lead_to_the_endpoint(client, template):
    uri, text = opened(client, template / TESTS / "test_items.py")
    line, column = find(text, "/items/{item_id}", 2)
    position = client_position(text, line, column, client.position_encoding)
    document = types.TextDocumentIdentifier(uri=uri)
    locations = await client.text_document_definition_async(
        types.DefinitionParams(text_document=document, position=position)
    )
    items_module = template / "app/api/routes/items.py"
    (location,) = locations
    assert location.uri == items_module.as_uri()
    target = items_module.read_text(encoding="utf-8").split("\n")[location.range.start.line]
    assert "def read_item(" in target

    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=document, position=position)
    )
    assert "GET /api/v1/items/{id}" in hover.contents.value
    assert "read_item" in hover.contents.value


async def test_references_of_an_endpoint_are_the_calls_reaching_it(client, template):
    path = template / "app/api/routes/items.py"
    uri, text = opened(client, path)
    line, column = find(text, "def read_items", 5)
    result = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=client_position(text, line, column, client.position_encoding),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    tests_module = (template / TESTS / "test_items.py").as_uri()
    assert [location.uri for location in result] == [tests_module]
    lines = (template / TESTS / "test_items.py").read_text(encoding="utf-8").split("\n")
    assert "client.get(" in lines[result[0].range.start.line]


async def test_code_lens_counts_tests_and_names_the_route_of_a_call(client, template):
    uri, text = opened(client, template / "app/api/routes/items.py")
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    lines = text.split("\n")
    titles = {lines[lens.range.start.line].split("(")[0]: lens.command.title for lens in lenses}
    # read_item is reached by test_read_item and by test_read_item_not_found (any id)
    assert titles["def read_item"] == "2 tests"
    assert titles["def read_items"] == "1 test"
    assert titles["def create_item"] == "1 test"

    uri, text = opened(client, template / TESTS / "test_utils.py")
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert [lens.command.title for lens in lenses] == [
        "GET /api/v1/utils/health-check/ → health_check()"
    ]
    _, _, (endpoint,) = plain(lenses[0].command.arguments)
    utils = template / "app/api/routes/utils.py"
    assert endpoint["uri"] == utils.as_uri()
    line = utils.read_text(encoding="utf-8").split("\n")[endpoint["range"]["start"]["line"]]
    assert "def health_check(" in line


async def test_a_lens_command_opens_its_test_calls(client, template):
    """The lens's command and arguments are those of VS Code's showReferences; sent back to the
    server, it opens the one call, or the one chosen of several."""
    asked: list[types.ShowMessageRequestParams] = []

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def choose(params: types.ShowMessageRequestParams) -> types.MessageActionItem:
        asked.append(params)
        return params.actions[-1]

    uri, text = opened(client, template / "app/api/routes/items.py")
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    lines = text.split("\n")
    commands = {lines[lens.range.start.line].split("(")[0]: lens.command for lens in lenses}
    tests_module = template / TESTS / "test_items.py"
    test_lines = tests_module.read_text(encoding="utf-8").split("\n")

    command = commands["def read_item"]
    assert (
        command.command in client.initialize_result.capabilities.execute_command_provider.commands
    )
    lens_uri, position, locations = plain(command.arguments)
    assert lens_uri == uri and position["line"] == find(text, "def read_item(")[0]
    called = [test_lines[location["range"]["start"]["line"]].strip() for location in locations]
    assert [location["uri"] for location in locations] == [tests_module.as_uri()] * 2
    assert all(line.startswith("response = client.get(") for line in called), called

    shown = len(client.shown_documents)
    answer = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command.command, arguments=plain(command.arguments))
    )
    assert len(plain(answer)) == 2
    (question,) = asked
    last = locations[-1]["range"]["start"]["line"]
    assert question.actions[-1].title == f"{TESTS}/test_items.py:{last + 1}"
    (opened_call,) = client.shown_documents[shown:]
    assert opened_call.uri == tests_module.as_uri()
    assert opened_call.selection.start.line == last

    # one call: opened at once, nothing asked
    command = commands["def read_items"]
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command.command, arguments=plain(command.arguments))
    )
    assert len(asked) == 1
    opened_call = client.shown_documents[-1]
    assert "client.get(" in test_lines[opened_call.selection.start.line]


async def test_code_lens_follows_its_setting(client, template):
    uri, _ = opened(client, template / "app/api/routes/items.py")
    params = types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    assert await client.text_document_code_lens_async(params)
    client.set_configuration({"routes": {"codeLens": False}}, section="fastapiLs")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    for _ in range(50):
        if not await client.text_document_code_lens_async(params):
            break
        await asyncio.sleep(0.02)
    assert not await client.text_document_code_lens_async(params)
    client.set_configuration({"routes": {"codeLens": True}}, section="fastapiLs")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))

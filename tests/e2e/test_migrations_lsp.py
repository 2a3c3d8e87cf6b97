"""Migration diagnostics over LSP: published after opening, quick fixes resolved lazily,
fix-all as a source action and a command, and the Context7 action still beside them."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
import pytest_lsp
from helpers import SERVER, apply_edits, fix_code_action_structuring, open_document, start_session
from lsprotocol import types
from pytest_lsp import LanguageClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "migrations"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("orders")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "orders"\ndependencies = ["fastapi>=0.115"]\n', encoding="utf-8"
    )
    (root / "app").mkdir()
    shutil.copy(FIXTURES / "v1_models.py", root / "app" / "schemas.py")
    shutil.copy(FIXTURES / "on_event_app.py", root / "app" / "main.py")
    return root


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, workspace: Path):
    fix_code_action_structuring(lsp_client)
    await start_session(lsp_client, "vscode", workspace)
    yield
    await lsp_client.shutdown_session()


async def diagnostics_of(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    for _ in range(100):
        if uri in client.diagnostics:
            return list(client.diagnostics[uri])
        await asyncio.sleep(0.05)
    raise AssertionError(f"no diagnostics were published for {uri}")


async def code_actions(
    client: LanguageClient, uri: str, line: int, diagnostics: list[types.Diagnostic]
) -> list[types.CodeAction]:
    at = types.Position(line=line, character=0)
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=at, end=at),
            context=types.CodeActionContext(diagnostics=diagnostics),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


async def test_a_v1_model_module_is_diagnosed_and_fixed(client, workspace):
    path = workspace / "app" / "schemas.py"
    text = path.read_text(encoding="utf-8")
    uri = open_document(client, path, text)
    diagnostics = await diagnostics_of(client, uri)
    assert diagnostics, "a Pydantic 1 module gets diagnostics"
    assert all(d.source == "fastapi-ls" and d.code for d in diagnostics)
    assert all(
        d.code_description and d.code_description.href.startswith("https://") for d in diagnostics
    )

    config = next(d for d in diagnostics if "Config" in text.split("\n")[d.range.start.line])
    line = config.range.start.line
    here = [d for d in diagnostics if d.range.start.line <= line <= d.range.end.line]
    actions = await code_actions(client, uri, line, here)
    fixes = [a for a in actions if a.kind == types.CodeActionKind.QuickFix and a.data]
    assert fixes, [a.title for a in actions]
    assert all(a.edit is None for a in fixes), "edits are computed in codeAction/resolve"
    resolved = await client.code_action_resolve_async(fixes[0])
    assert resolved.edit and resolved.edit.changes[uri]
    fixed = apply_edits(text, resolved.edit.changes[uri], client.position_encoding)
    assert "model_config = ConfigDict(" in fixed

    (fix_all,) = [a for a in actions if a.kind == "source.fixAll.fastapi-ls"]
    resolved_all = await client.code_action_resolve_async(fix_all)
    everything = apply_edits(text, resolved_all.edit.changes[uri], client.position_encoding)
    assert "class Config" not in everything and "@validator" not in everything
    compile(everything, "schemas.py", "exec")


async def test_the_context7_action_stays_beside_the_fixes(client, workspace):
    path = workspace / "app" / "schemas.py"
    text = path.read_text(encoding="utf-8")
    uri = open_document(client, path, text)
    diagnostics = await diagnostics_of(client, uri)
    line = next(n for n, t in enumerate(text.split("\n")) if "@validator(" in t)
    here = [d for d in diagnostics if d.range.start.line <= line <= d.range.end.line]
    titles = [a.title for a in await code_actions(client, uri, line, here)]
    assert any(t.startswith("Context7:") for t in titles), titles
    assert any(not t.startswith("Context7:") for t in titles), titles


async def test_fix_all_command_applies_one_edit(client, workspace):
    path = workspace / "app" / "main.py"
    text = path.read_text(encoding="utf-8")
    uri = open_document(client, path, text)
    await diagnostics_of(client, uri)
    applied: list[types.ApplyWorkspaceEditParams] = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply(params: types.ApplyWorkspaceEditParams):
        applied.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="fastapiLs.migrations.fixAll", arguments=[{"uri": uri}])
    )
    assert result is True
    (params,) = applied
    fixed = apply_edits(text, params.edit.changes[uri], client.position_encoding)
    assert "on_event" not in fixed and "lifespan" in fixed
    compile(fixed, "main.py", "exec")


async def test_a_closed_document_loses_its_diagnostics(client, workspace):
    path = workspace / "app" / "schemas.py"
    uri = open_document(client, path, path.read_text(encoding="utf-8"))
    assert await diagnostics_of(client, uri)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    for _ in range(100):
        if not client.diagnostics.get(uri):
            break
        await asyncio.sleep(0.05)
    assert not client.diagnostics.get(uri)

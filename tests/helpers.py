"""Helpers for end-to-end tests: starting sessions, opening files, applying edits."""

from __future__ import annotations

import asyncio
import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_block(section: str, language: str) -> str:
    """The first ``language`` code block of the README section whose heading starts with
    ``### section``: the configuration users copy, read at run time so it cannot rot."""
    text = README.read_text(encoding="utf-8")
    heading = re.search(rf"^### {re.escape(section)}.*$", text, re.MULTILINE)
    assert heading, f"README.md has no '### {section}' section"
    body = re.split(r"\n##+ ", text[heading.end() :], maxsplit=1)[0]
    block = re.search(rf"^```{language}\n(.*?)^```", body, re.DOTALL | re.MULTILINE)
    assert block, f"README's {section} section has no {language} block"
    return block.group(1)


SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "fastapi_ls"])

#: pytest-lsp's captured capabilities of real editors.
EDITORS = {
    "vscode": "visual-studio-code",
    "neovim": "neovim@v0.11.0",
    "emacs": "emacs",
}

_counter = itertools.count()


def plain_text_client() -> types.ClientCapabilities:
    """Emacs's capabilities, but taking hovers as plain text only (as some clients do)."""
    capabilities = client_capabilities(EDITORS["emacs"])
    capabilities.text_document.hover.content_format = [types.MarkupKind.PlainText]
    return capabilities


def accept_registrations(client: LanguageClient) -> None:
    """Accept ``client/registerCapability`` as editors do, keeping the registrations in
    ``client.registrations`` (the server registers its file watcher dynamically)."""
    if hasattr(client, "registrations"):
        return
    client.registrations = []

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)


async def start_session(
    client: LanguageClient,
    editor: str,
    root: Path,
    options: dict | None = None,
) -> types.InitializeResult:
    accept_registrations(client)
    if editor == "plaintext":
        capabilities = plain_text_client()
    else:
        capabilities = client_capabilities(EDITORS[editor])
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=options or {},
        )
    )
    client.position_encoding = result.capabilities.position_encoding or "utf-16"
    return result


def open_document(client: LanguageClient, path: Path, text: str) -> str:
    """Open ``text`` as the document at ``path`` (which need not exist); return its URI."""
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=next(_counter), text=text
            )
        )
    )
    return uri


def cursor(text: str, marker: str = "|") -> tuple[str, int, int]:
    """The text without the marker, and the marker's (line, character index)."""
    offset = text.index(marker)
    clean = text[:offset] + text[offset + len(marker) :]
    before = clean[:offset]
    line = before.count("\n")
    column = offset - (before.rfind("\n") + 1)
    return clean, line, column


def units(text: str, encoding: str) -> int:
    """The client's code units of ``text``; a lone surrogate is one unit in every encoding."""
    if encoding == "utf-32":
        return len(text)
    size = 0
    for char in text:
        if "\ud800" <= char <= "\udfff":
            size += 1
        elif encoding == "utf-8":
            size += len(char.encode("utf-8"))
        else:
            size += 2 if ord(char) > 0xFFFF else 1
    return size


def client_position(text: str, line: int, column: int, encoding: str) -> types.Position:
    line_text = text.split("\n")[line] if line < len(text.split("\n")) else ""
    return types.Position(line=line, character=units(line_text[:column], encoding))


def _offset(text: str, position: types.Position, encoding: str) -> int:
    lines = text.split("\n")
    offset = sum(len(line) + 1 for line in lines[: position.line])
    line_text = lines[position.line] if position.line < len(lines) else ""
    count = 0
    for index, char in enumerate(line_text):
        if count >= position.character:
            return offset + index
        count += units(char, encoding)
    return offset + len(line_text)


def apply_edits(text: str, edits: list[types.TextEdit], encoding: str) -> str:
    """Apply LSP text edits (positions in ``encoding`` units) to ``text``."""
    spans = [
        (_offset(text, e.range.start, encoding), _offset(text, e.range.end, encoding), e.new_text)
        for e in edits
    ]
    for start, end, new_text in sorted(spans, key=lambda s: s[:2], reverse=True):
        text = text[:start] + new_text + text[end:]
    return text


def apply_item(text: str, item: types.CompletionItem, encoding: str) -> str:
    """The document after accepting ``item``, with its import edits."""
    assert isinstance(item.text_edit, types.TextEdit), item
    return apply_edits(text, [item.text_edit, *(item.additional_text_edits or [])], encoding)


def accept_item(client: LanguageClient, text: str, item: types.CompletionItem) -> str:
    """The document after the editor accepts ``item``, as the editor inserts it.

    A snippet engine that is not told to keep the text as is indents every continuation line
    like the cursor's line (VS Code's, Neovim's ``vim.snippet``, yasnippet).
    """
    assert isinstance(item.text_edit, types.TextEdit), item
    completion = client.capabilities.text_document.completion
    options = completion.completion_item
    modes = options.insert_text_mode_support.value_set if options.insert_text_mode_support else []
    keeps_text = item.insert_text_mode == types.InsertTextMode.AsIs and (
        types.InsertTextMode.AsIs in modes
    )
    new_text = item.text_edit.new_text
    if item.insert_text_format == types.InsertTextFormat.Snippet and not keeps_text:
        line = text.split("\n")[item.text_edit.range.start.line]
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        new_text = new_text.replace("\n", "\n" + indent)
    edit = types.TextEdit(range=item.text_edit.range, new_text=new_text)
    return apply_edits(text, [edit, *(item.additional_text_edits or [])], client.position_encoding)


async def complete(
    client: LanguageClient, uri: str, text: str, line: int, column: int
) -> list[types.CompletionItem]:
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=client_position(text, line, column, client.position_encoding),
        )
    )
    if result is None:
        return []
    return result.items if isinstance(result, types.CompletionList) else result


def by_label(items: list[types.CompletionItem]) -> dict[str, types.CompletionItem]:
    return {item.label: item for item in items}


def snippet_ids(items: list[types.CompletionItem]) -> list[str]:
    return [item.data["snippet"] for item in items if isinstance(item.data, dict)]


def fix_code_action_structuring(client: LanguageClient) -> None:
    """lsprotocol reads a code action as a bare Command; undo that (a Command's ``command``
    is a string, a CodeAction's is a Command object or absent)."""
    converter = client.protocol._converter
    union = types.Command | types.CodeAction

    def structure(value, _type):
        if isinstance(value, dict) and isinstance(value.get("command"), str):
            return converter.structure(value, types.Command)
        return converter.structure(value, types.CodeAction)

    converter.register_structure_hook(union, structure)
    converter.register_structure_hook(types.Union[types.Command, types.CodeAction], structure)


def offered_snippets(context: str, text: str) -> set[str]:
    """The ids of the snippets for ``context`` whose conditions on the file hold in ``text``."""
    from fastapi_ls import knowledge
    from fastapi_ls.analysis import analyse
    from fastapi_ls.prefill import prefill

    kb = knowledge.load()
    filled = prefill(analyse(text), kb.conventions)
    return {snippet.id for snippet in kb.for_context(context) if filled.allows(snippet)}


ROUTE_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "routes"
TEMPLATE_TESTS = Path(__file__).resolve().parent / "fixtures" / "routes_lsp" / "template_tests"


def template_project(folder: Path) -> Path:
    """A copy of the full-stack-template-style fixture, with its test modules."""
    root = folder / "template"
    shutil.copytree(ROUTE_FIXTURES / "template", root)
    shutil.copytree(TEMPLATE_TESTS, root / "tests")
    return root


async def route_table(client: LanguageClient, params: dict | None = None) -> dict:
    """``fastapiLs/routes`` once the first index build is done."""
    for _ in range(200):
        table = plain(await client.protocol.send_request_async("fastapiLs/routes", params or {}))
        if table["ready"]:
            return table
        await asyncio.sleep(0.05)
    raise AssertionError("the workspace index never became ready")


def plain(value):
    """A result of an own request as JSON values (pygls gives nested named tuples)."""
    if hasattr(value, "_asdict"):
        return {key: plain(item) for key, item in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def fake_environment(root: Path, name: str, **versions: str) -> Path:
    """A real virtualenv at ``root/name`` whose site-packages claims the given package versions
    (``fastapi="0.90.0"``); its Python is returned."""
    venv = root / name
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site,) = venv.glob("lib/python*/site-packages")
    for package, version in versions.items():
        info = site / f"{package}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n"
        )
    return venv / "bin" / "python"

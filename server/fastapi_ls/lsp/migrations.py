"""Migration diagnostics and their quick fixes, and the file's fix-all.

The findings come from :mod:`fastapi_ls.migrations` (pure), computed with the diagnostics
after a typing pause; the code actions reuse the findings of the document's current version,
so offering them costs nothing.  Edits are computed in ``codeAction/resolve``, on the text as
it is then (a finding that has gone gets no edit).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from lsprotocol import types

from ..imports import TextEdit
from .diagnostics import Found, Job
from .errors import guarded

if TYPE_CHECKING:
    from .. import migrations
    from ..server import FastApiLanguageServer
    from .code_actions import ActionRequest
    from .view import DocumentView

FIX_ALL_KIND = "source.fixAll.fastapi-ls"
FIX_ALL_COMMAND = "fastapiLs.migrations.fixAll"
FIX_ALL_TITLE = "Fix all outdated code (fastapi-ls)"


class MigrationChecks:
    """A diagnostic source and a code-action provider over the same findings."""

    name = "migrations"
    kinds = (types.CodeActionKind.QuickFix, FIX_ALL_KIND)

    def __init__(self) -> None:
        #: uri -> (version, findings) of the last run, without their syntax trees
        self._latest: dict[str, tuple[int | None, list[_Offered]]] = {}

    def context(self, ls: FastApiLanguageServer, view: DocumentView) -> migrations.MigrationContext:
        # The rules are imported when first needed, not while the server starts.
        from .. import migrations

        return migrations.MigrationContext(
            disabled=frozenset(ls.settings.diagnostics.disabled),
            versions={name: str(version) for name, version in ls.installed.items()},
            module_name=module_name(view.path, ls.workspace_roots()),
        )

    # --- diagnostics -----------------------------------------------------------------------

    def prepare(self, ls: FastApiLanguageServer, view: DocumentView) -> Job | None:
        if not view.state.tier2_enabled:
            self._latest.pop(view.uri, None)
            return None
        text, path, uri, version = view.document.source, str(view.path), view.uri, view.version
        context = self.context(ls, view)

        def job() -> list[Found]:
            from .. import migrations

            findings = migrations.check(text, path, context)
            self._latest[uri] = (version, [_Offered.of(finding) for finding in findings])
            return [
                Found(
                    start=finding.start,
                    end=finding.end,
                    message=finding.message,
                    code=finding.code,
                    severity=finding.severity,
                    link=finding.link,
                    deprecated=finding.deprecated,
                    data={"key": finding.key},
                )
                for finding in findings
            ]

        return job

    def forget(self, uri: str) -> None:
        self._latest.pop(uri, None)

    def inputs(self, ls: FastApiLanguageServer, uri: str) -> Any:
        return None

    # --- code actions ----------------------------------------------------------------------

    def actions(self, ls: FastApiLanguageServer, request: ActionRequest) -> list[types.CodeAction]:
        view = request.view
        version, findings = self._latest.get(view.uri, (None, []))
        by_key = {
            d.data["key"]: d
            for d in request.diagnostics
            if d.source == "fastapi-ls" and isinstance(d.data, dict) and "key" in d.data
        }
        if version != view.version:
            # Checked on an earlier text: offer only what the editor still shows; resolving
            # checks again on the text as it is then.
            findings = [finding for finding in findings if finding.key in by_key]
        if not findings:
            return []
        first, last = request.start[0], request.end[0]
        actions = []
        for finding in findings:
            if finding.start[0] > last or finding.end[0] < first:
                continue
            diagnostic = by_key.get(finding.key)
            for index, (title, preferred, _safe) in enumerate(finding.fixes):
                actions.append(
                    types.CodeAction(
                        title=title,
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic] if diagnostic else None,
                        is_preferred=preferred or None,
                        data={"key": finding.key, "index": index},
                    )
                )
        if any(safe for finding in findings for _title, _preferred, safe in finding.fixes):
            actions.append(
                types.CodeAction(title=FIX_ALL_TITLE, kind=FIX_ALL_KIND, data={"fixAll": True})
            )
        return actions

    def resolve(
        self, ls: FastApiLanguageServer, view: DocumentView, action: types.CodeAction
    ) -> types.CodeAction:
        data: Any = action.data
        if data.get("fixAll"):
            action.edit = self.fix_all_edit(ls, view)
            return action
        key, index = data.get("key"), data.get("index")
        if not isinstance(key, str) or not isinstance(index, int):
            return action
        from .. import migrations

        fix = migrations.resolve(
            view.document.source, str(view.path), self.context(ls, view), key, index
        )
        if fix is not None:
            action.edit = _workspace_edit(view, fix.edits)
        return action

    def fix_all_edit(
        self, ls: FastApiLanguageServer, view: DocumentView
    ) -> types.WorkspaceEdit | None:
        from .. import migrations

        edit = migrations.fix_all_edit(view.document.source, str(view.path), self.context(ls, view))
        return _workspace_edit(view, [edit]) if edit is not None else None


@attrs.frozen
class _Offered:
    """What a code action needs of a finding; its fixes' edits are computed at resolve."""

    key: str
    start: tuple[int, int]
    end: tuple[int, int]
    #: (title, preferred, safe) of each fix
    fixes: tuple[tuple[str, bool, bool], ...]

    @classmethod
    def of(cls, finding: migrations.Finding) -> _Offered:
        fixes = tuple((fix.title, fix.preferred, fix.safe) for fix in finding.fixes)
        return cls(finding.key, finding.start, finding.end, fixes)


CHECKS = MigrationChecks()


def module_name(path: Path, roots: list[Path]) -> str | None:
    """The dotted module name of ``path`` under the first workspace root holding it."""
    for root in roots:
        if not path.is_relative_to(root):
            continue
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts and parts[0] == "src":
            parts = parts[1:]
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
        return ".".join(parts) or None
    return None


def _workspace_edit(view: DocumentView, edits: list[TextEdit]) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(
        changes={
            view.uri: [
                types.TextEdit(
                    range=view.client_range(
                        (edit.line, edit.character), (edit.end_line, edit.end_character)
                    ),
                    new_text=edit.new_text,
                )
                for edit in edits
            ]
        }
    )


async def fix_all(ls: FastApiLanguageServer, *arguments: Any) -> bool:
    """Apply every safe fix of the document ``{"uri": …}`` in one edit."""
    target = arguments[0] if arguments else None
    uri = target.get("uri") if isinstance(target, dict) else None
    if not isinstance(uri, str):
        ls.tell_user("Fix all: the command expects {uri}.", types.MessageType.Error)
        return False
    edit = CHECKS.fix_all_edit(ls, ls.view(uri))
    if edit is None:
        return False
    result = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=edit, label=FIX_ALL_TITLE)
    )
    return bool(result.applied)


def register(server: FastApiLanguageServer) -> None:
    server.command(FIX_ALL_COMMAND)(guarded(fix_all, False))

"""Migration diagnostics: code written for Pydantic 1 and older FastAPI, with quick fixes.

Pure: text in, findings and edits out (``(line, column)`` in Python ``str`` characters; the
server converts them to the client's position encoding).  Rules, their codes, wording and the
renames they apply live in ``snippets/migrations.toml``.  Code that does not parse gets no
findings.

* :func:`check` — the findings of a module, each with its fixes; a fix's edits are computed
  when first read (``Fix.edits``), so a code-action list costs no more than the diagnostics.
* :func:`resolve` — the fix a code action named by ``Finding.key`` and its index, on the
  same text (for ``codeAction/resolve``).
* :func:`fix_all` / :func:`fix_all_edit` — every safe fix of the module applied.
"""

from __future__ import annotations

import functools
import logging
import re

from ..imports import TextEdit
from . import fastapi_rules, pydantic_rules  # noqa: F401  (registers the rules)
from .base import CHECKERS, Report
from .model import Finding, Fix, MigrationContext, Rule, RuleBook, load_rules
from .source import Source, apply_edits, parse, split_lines

__all__ = [
    "Finding",
    "Fix",
    "MigrationContext",
    "Rule",
    "apply_edits",
    "check",
    "fix_all",
    "fix_all_edit",
    "resolve",
    "rules",
]

log = logging.getLogger(__name__)

#: Fix-all applies one fix at a time and checks again; a module needs at most this many.
MAX_FIX_ROUNDS = 200


def rules() -> list[Rule]:
    """Every rule, in code order (for documentation and settings)."""
    return sorted(load_rules().rules.values(), key=lambda r: r.code)


def check(text: str, path: str = "", context: MigrationContext | None = None) -> list[Finding]:
    """The findings of ``text`` in position order; none when it does not parse."""
    context = context or MigrationContext()
    book = load_rules()
    if not any(_hinted(rule, text) for rule in book.rules.values() if context.applies(rule)):
        return []
    source = parse(text, context.module_name)
    if source is None:
        return []
    return _check(source, path, context, book)


def _hinted(rule: Rule, text: str) -> bool:
    return not rule.hint or _compiled(rule.hint).search(text) is not None


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _check(source: Source, path: str, context: MigrationContext, book: RuleBook) -> list[Finding]:
    findings: list[Finding] = []
    for code, checker in CHECKERS.items():
        rule = book.rules.get(code)
        if rule is None or not context.applies(rule):
            continue
        try:
            findings.extend(checker(Report(source, context, book, code, path)))
        except Exception:  # a rule's bug must not cost the user the other diagnostics
            log.exception("migration rule %s failed", code)
    findings.sort(key=lambda f: (f.start, f.code))
    return findings


def resolve(
    text: str, path: str, context: MigrationContext | None, key: str, index: int = 0
) -> Fix | None:
    """The ``index``-th fix of the finding ``key`` in ``text``; None when the text changed
    so that the finding is gone."""
    for finding in check(text, path, context):
        if finding.key == key and 0 <= index < len(finding.fixes):
            return finding.fixes[index]
    return None


def fix_all(text: str, path: str = "", context: MigrationContext | None = None) -> str:
    """``text`` with every safe fix applied.

    One fix at a time, checking again after each: fixes of one module share its imports, so
    each is computed against the text the previous one left.  A fix whose result does not
    parse or does not remove its finding is skipped (a bug, logged), never applied twice.
    """
    context = context or MigrationContext()
    book = load_rules()
    skipped: set[tuple[str, str]] = set()
    for _ in range(MAX_FIX_ROUNDS):
        source = parse(text, context.module_name)
        if source is None:
            return text
        applied = False
        for finding in _check(source, path, context, book):
            for fix in finding.fixes:
                if not fix.safe or (finding.key, fix.title) in skipped:
                    continue
                new_text = _applied(text, fix)
                if new_text is None or new_text == text:
                    skipped.add((finding.key, fix.title))
                    continue
                text = new_text
                applied = True
                break
            if applied:
                break
        if not applied:
            return text
    return text


def _applied(text: str, fix: Fix) -> str | None:
    try:
        new_text = apply_edits(text, fix.edits)
    except Exception:
        log.exception("fix %r could not be applied", fix.title)
        return None
    if parse(new_text) is None:
        log.error("fix %r produced code that does not parse", fix.title)
        return None
    return new_text


def fix_all_edit(
    text: str, path: str = "", context: MigrationContext | None = None
) -> TextEdit | None:
    """:func:`fix_all` as one edit over the lines that changed; None when nothing changes."""
    new_text = fix_all(text, path, context)
    if new_text == text:
        return None
    old_lines, new_lines = split_lines(text), split_lines(new_text)
    head = 0
    while head < min(len(old_lines), len(new_lines)) and old_lines[head] == new_lines[head]:
        head += 1
    tail = 0
    while (
        tail < min(len(old_lines), len(new_lines)) - head
        and old_lines[-1 - tail] == new_lines[-1 - tail]
    ):
        tail += 1
    end = len(old_lines) - tail
    replacement = "".join(new_lines[head : len(new_lines) - tail])
    return TextEdit(head, 0, end, 0, replacement)

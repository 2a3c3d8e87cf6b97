"""The knowledge-base loader and the snippet grammar helpers."""

import json
import os
import pickle
import textwrap
from pathlib import Path

import attrs
import pytest

from fastapi_ls import knowledge, snippet_syntax

KB = knowledge.load()

# ``knowledge.load`` is cached per directory; the undecorated function reads afresh.
load = knowledge.load.__wrapped__

VALID = {
    "id": "probe",
    "label": "probe snippet",
    "prefixes": ["probe"],
    "description": "A snippet for the loader tests",
    "contexts": ["module"],
    "docs": "https://fastapi.tiangolo.com/",
    "body": "x = ${1:{{model}}}$0",
}


def toml_value(value: object) -> str:
    return json.dumps(value)  # JSON strings and arrays of them are valid TOML


def snippet_table(**overrides: object) -> str:
    fields = {**VALID, **overrides}
    lines = ["[[snippet]]"]
    lines += [f"{key} = {toml_value(value)}" for key, value in fields.items() if value is not None]
    return "\n".join(lines) + "\n"


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Loader


def test_loads_a_valid_file(tmp_path):
    write(tmp_path, "probe.toml", snippet_table(imports=["from fastapi import FastAPI"]))
    write(
        tmp_path,
        "status_codes.toml",
        '[[status]]\ncode = 404\nname = "HTTP_404_NOT_FOUND"\nphrase = "Not Found"\n',
    )
    kb = load(tmp_path)
    (snippet,) = kb.snippets
    assert snippet.id == "probe"
    assert snippet.prefixes == ("probe",)
    assert snippet.imports == ("from fastapi import FastAPI",)
    assert snippet.source == "probe.toml"
    assert kb.status_codes == (knowledge.StatusCode(404, "HTTP_404_NOT_FOUND", "Not Found"),)
    assert kb.for_context("module") == [snippet]
    assert kb.for_context("signature") == []


def test_the_shipped_knowledge_base_loads():
    kb = knowledge.load()
    assert len(kb.snippets) > 50
    assert kb.for_context("decorator")
    assert any(code.name == "HTTP_404_NOT_FOUND" for code in kb.status_codes)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"contexts": ["module", "class_body"]}, "unknown contexts ['class_body']"),
        ({"body": "x = {{modle}}$0"}, "unknown variables ['modle']"),
        ({"body": "x = ${1:unterminated"}, "missing '}'"),
        ({"body": "x = ${1|a,b"}, "unterminated choice"),
        ({"body": "x = ${:no_number}"}, "bad placeholder"),
        ({"imports": ["fastapi.FastAPI"]}, "not an import statement: 'fastapi.FastAPI'"),
        ({"prefixes": []}, "no prefixes"),
        ({"docs": None}, "docs"),
        ({"colour": "red"}, "colour"),
        ({"requires": ["database"]}, "unknown names in requires ['database']"),
        ({"min_fastapi": "soon"}, "bad version 'soon'"),
    ],
    ids=[
        "unknown-context",
        "unknown-variable",
        "unterminated-placeholder",
        "unterminated-choice",
        "bad-placeholder",
        "non-import",
        "no-prefixes",
        "missing-key",
        "extra-key",
        "unknown-requires",
        "bad-version",
    ],
)
def test_rejects_invalid_snippet(tmp_path, overrides, message):
    write(tmp_path, "broken.toml", snippet_table(**overrides))
    with pytest.raises(knowledge.KnowledgeError) as error:
        load(tmp_path)
    assert str(error.value).startswith("broken.toml: ")
    assert "'probe'" in str(error.value)  # the entry is named
    assert message in str(error.value)


def test_rejects_duplicate_id_across_files(tmp_path):
    write(tmp_path, "a.toml", snippet_table())
    write(tmp_path, "b.toml", snippet_table(label="same id, other file"))
    with pytest.raises(knowledge.KnowledgeError, match=r"b\.toml: duplicate snippet id 'probe'"):
        load(tmp_path)


def test_rejects_invalid_toml(tmp_path):
    write(tmp_path, "bad.toml", "[[snippet]\nid = ")
    with pytest.raises(knowledge.KnowledgeError, match=r"^bad\.toml: "):
        load(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[snippet]\nid = "x"\n', r"write \[\[snippet\]\], an array of tables"),
        ('[[snipet]]\nid = "x"\n', r"unknown tables \['snipet'\]"),
    ],
)
def test_rejects_misnamed_or_misshapen_tables(tmp_path, text, message):
    write(tmp_path, "typo.toml", text)
    with pytest.raises(knowledge.KnowledgeError, match=r"^typo\.toml: " + message):
        load(tmp_path)


def test_rejects_duplicate_status_names(tmp_path):
    entry = '[[status]]\ncode = 404\nname = "HTTP_404_NOT_FOUND"\nphrase = "Not Found"\n'
    write(tmp_path, "status_codes.toml", entry + entry)
    with pytest.raises(knowledge.KnowledgeError, match="duplicate status codes"):
        load(tmp_path)


def test_topics_and_version_gates(tmp_path):
    write(
        tmp_path,
        "topics.toml",
        textwrap.dedent(
            """\
            [[category]]
            id = "sse"
            title = "Server-Sent Events"

            [[topic]]
            id = "sse"
            title = "Server-Sent Events"
            category = "sse"
            library_name = "FastAPI"
            query = "server-sent events"
            curated = "Stream with an async generator."
            docs = "https://fastapi.tiangolo.com/"
            triggers = [{ pattern = 'EventSourceResponse' }]

            [[version_gate]]
            pattern = 'fastapi\\.sse'
            package = "fastapi"
            min_version = "0.135.0"
            feature = "fastapi.sse"
            topic = "sse"
            """
        ),
    )
    kb = load(tmp_path)
    (topic,) = kb.topics
    assert topic.triggers[0].compiled.search("return EventSourceResponse(gen())")
    assert kb.version_gates[0].topic == "sse"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('category = "weather"', "unknown category 'weather'"),
        ("triggers = [{ pattern = '(' }]", "bad pattern"),
    ],
)
def test_rejects_invalid_topic(tmp_path, text, message):
    base = (
        '[[topic]]\nid = "t"\ntitle = "T"\nlibrary_name = "L"\nquery = "q"\n'
        'curated = "c"\ndocs = "https://x"\n'
    )
    if not text.startswith("category"):
        base += 'category = "sse"\n'
    write(tmp_path, "categories.toml", '[[category]]\nid = "sse"\ntitle = "SSE"\n')
    write(tmp_path, "topics.toml", base + text + "\n")
    with pytest.raises(knowledge.KnowledgeError, match=message):
        load(tmp_path)


def test_rejects_a_gate_for_an_unknown_topic(tmp_path):
    gate = (
        '[[version_gate]]\npattern = \'x\'\npackage = "fastapi"\nmin_version = "1.0"\n'
        'feature = "x"\ntopic = "missing"\n'
    )
    write(tmp_path, "gates.toml", gate)
    with pytest.raises(knowledge.KnowledgeError, match="unknown topic 'missing'"):
        load(tmp_path)


def test_rejects_invalid_status_code(tmp_path):
    write(tmp_path, "status_codes.toml", '[[status]]\ncode = "four hundred"\nname = "X"\n')
    with pytest.raises(knowledge.KnowledgeError, match=r"status_codes\.toml: entry 'X'"):
        load(tmp_path)


def test_load_is_cached_per_directory(tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    write(first, "a.toml", snippet_table())
    write(second, "a.toml", snippet_table(id="other"))
    assert knowledge.load(first) is knowledge.load(first)
    assert [s.id for s in knowledge.load(second).snippets] == ["other"]


# --------------------------------------------------------------------------------------------
# Snippet grammar


@pytest.mark.parametrize(
    ("body", "plain"),
    [
        ("plain text", "plain text"),
        ("a $1 b $0", "a  b "),
        ("${1:item_id}: int", "item_id: int"),
        ("${1:outer ${2:inner} end}", "outer inner end"),
        ("${1:a ${2:b ${3:c}}}", "a b c"),
        ("${1|one,two,three|}", "one"),
        ("${1|a\\,b,c|}", "a,b"),
        ("${1|x\\|y,z|}", "x|y"),
        ("\\$1 costs \\$5", "$1 costs $5"),
        ('{"a": 1\\}', '{"a": 1}'),
        ('${1:{"a": 1\\}}', '{"a": 1}'),
        ("back\\\\slash", "back\\slash"),
        ("not \\n an escape", "not \\n an escape"),
        ("lone $ sign", "lone $ sign"),
        ("$TM_FILENAME.py", ".py"),
        ("${TM_FILENAME:main}.py", "main.py"),
        ("${0:final}", "final"),
    ],
)
def test_to_plain_text(body, plain):
    assert snippet_syntax.to_plain_text(body) == plain
    snippet_syntax.check(body)


@pytest.mark.parametrize(
    "body", ["${1:never closed", "${1|a,b", "${", "${1#}", "${:x}", "${1:${2:x}"]
)
def test_check_rejects(body):
    with pytest.raises(snippet_syntax.SnippetSyntaxError):
        snippet_syntax.check(body)


def test_check_accepts_variables():
    snippet_syntax.check("@{{target}}.get(${1:{{model}}})")


def test_variables_in():
    assert snippet_syntax.variables_in("{{app}} ${1:{{model}}} {{app}} { {x} }") == {"app", "model"}


def test_fill_variables():
    filled = snippet_syntax.fill_variables(
        "@{{target}}.get() -> ${1:{{model}}}", {"target": "router", "model": "Item"}
    )
    assert filled == "@router.get() -> ${1:Item}"


@pytest.mark.parametrize(
    ("value", "escaped"),
    [("A$1", "A\\$1"), ("A}", "A\\}"), ("A\\B", "A\\\\B"), ("${0}", "\\${0\\}")],
)
def test_fill_variables_escapes_values(value, escaped):
    filled = snippet_syntax.fill_variables("${1:{{model}}} {{model}}", {"model": value})
    assert filled == f"${{1:{escaped}}} {escaped}"
    # The value comes out literally, inside a placeholder as well as outside.
    assert snippet_syntax.to_plain_text(filled) == f"{value} {value}"


def test_fill_variables_rejects_unknown_variable():
    with pytest.raises(snippet_syntax.SnippetSyntaxError, match=r"\{\{model\}\}"):
        snippet_syntax.fill_variables("{{model}}", {"app": "app"})


def test_to_plain_text_repeats_a_mirrored_default():
    body = textwrap.dedent(
        """\
        ${1:item} = load()
        return $1"""
    )
    assert snippet_syntax.to_plain_text(body) == "item = load()\nreturn item"


def rename_taken(body: str, taken: frozenset[str]) -> str:
    return snippet_syntax.apply_renames(body, snippet_syntax.renames_for(body, taken))


ROUTE_BODY = textwrap.dedent(
    """\
    @app.get("/items/{item_id}")
    async def ${2:read_item}(item_id: int):
        return ${3:None}


    def ${4:read_item}_helper():
        pass
    """
)


def test_rename_taken_gives_a_free_function_name():
    renamed = rename_taken(ROUTE_BODY, frozenset({"read_item", "read_item_2"}))
    assert "async def ${2:read_item_3}(" in renamed
    # Only whole placeholder names are functions; a name built from one is left alone.
    assert "def ${4:read_item}_helper" in renamed
    snippet_syntax.check(renamed)


def test_rename_taken_renames_every_occurrence_of_the_placeholder():
    body = "async def ${1:handler}(x):\n    pass\n\n\napp.add_handler(${1:handler})\n"
    renamed = rename_taken(body, frozenset({"handler"}))
    assert snippet_syntax.to_plain_text(renamed).count("handler_2") == 2


def test_rename_taken_leaves_free_names_and_methods():
    assert rename_taken(ROUTE_BODY, frozenset({"list_items"})) == ROUTE_BODY
    method = "class A:\n    def ${1:read_item}(self):\n        pass\n"
    assert rename_taken(method, frozenset({"read_item"})) == method


def test_rename_taken_keeps_the_fixed_start_of_a_name():
    body = "def test_${2:read_main}() -> None:\n    pass\n"
    renamed = rename_taken(body, frozenset({"test_read_main"}))
    assert renamed.startswith("def test_${2:read_main_2}()")


def test_packages_and_origins_make_the_known_libraries(tmp_path):
    write(tmp_path, "packages.toml", '[packages]\nfastapi = ["fastapi"]\nlibraries = ["jwt"]\n')
    write(tmp_path, "categories.toml", '[[category]]\nid = "queues"\ntitle = "Queues"\n')
    write(
        tmp_path,
        "topics.toml",
        '[[topic]]\nid = "q"\ntitle = "Q"\ncategory = "queues"\nlibrary_name = "Celery"\n'
        'query = "tasks"\ncurated = "c"\ndocs = "https://docs.celeryq.dev/"\n'
        'origins = ["celery.app", "httpx.ASGITransport"]\n',
    )
    kb = load(tmp_path)
    assert kb.fastapi_packages == {"fastapi"}
    assert kb.library_packages == {"fastapi", "jwt", "celery", "httpx"}
    assert kb.topics[0].origins == ("celery.app", "httpx.ASGITransport")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[packages]\nfastapi = ["fastapi.routing"]\n', "not a top-level package"),
        ('[packages]\nlibraries = ["a b"]\n', "not a top-level package"),
    ],
)
def test_rejects_invalid_packages(tmp_path, text, message):
    write(tmp_path, "packages.toml", text)
    with pytest.raises(knowledge.KnowledgeError, match=message):
        load(tmp_path)


def test_rejects_an_origin_that_is_not_a_dotted_name(tmp_path):
    write(
        tmp_path,
        "topics.toml",
        '[[topic]]\nid = "q"\ntitle = "Q"\ncategory = "queues"\nlibrary_name = "Celery"\n'
        'query = "tasks"\ncurated = "c"\ndocs = "https://x.org/"\norigins = ["celery app"]\n',
    )
    with pytest.raises(knowledge.KnowledgeError, match="not a dotted name"):
        load(tmp_path)


# --- the compiled copy read at start-up ---------------------------------------------------


@pytest.fixture
def data(tmp_path: Path) -> Path:
    directory = tmp_path / "snippets"
    directory.mkdir()
    for path in knowledge.data_dir().glob("*.toml"):
        (directory / path.name).write_bytes(path.read_bytes())
    return directory


def compiled_copies(cache: Path) -> list[Path]:
    return sorted(cache.glob("knowledge-*.pickle"))


def test_the_compiled_copy_is_made_once_and_then_used(data, tmp_path):
    cache = tmp_path / "cache"
    first = knowledge.load_compiled(data, cache)
    assert first == knowledge.read(data)
    (copy,) = compiled_copies(cache)
    # A copy that differs from the data files proves which one the next start reads.
    planted = attrs.evolve(first, snippets=first.snippets[:1])
    copy.write_bytes(pickle.dumps(planted))
    assert knowledge.load_compiled(data, cache) == planted


def test_a_changed_data_file_replaces_the_compiled_copy(data, tmp_path):
    cache = tmp_path / "cache"
    knowledge.load_compiled(data, cache)
    (old,) = compiled_copies(cache)
    routes = data / "routes.toml"
    routes.write_text(routes.read_text().replace('label = "', 'label = "changed ', 1))
    loaded = knowledge.load_compiled(data, cache)
    assert any(snippet.label.startswith("changed ") for snippet in loaded.snippets)
    assert compiled_copies(cache) != [old] and len(compiled_copies(cache)) == 1


def test_a_corrupt_compiled_copy_is_read_again_from_the_data_files(data, tmp_path):
    cache = tmp_path / "cache"
    knowledge.load_compiled(data, cache)
    (copy,) = compiled_copies(cache)
    copy.write_bytes(b"\x80\x05not a pickle")
    assert knowledge.load_compiled(data, cache) == knowledge.read(data)
    assert pickle.loads(copy.read_bytes()) == knowledge.read(data)


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_compiled_copy_others_may_write_is_ignored(data, tmp_path):
    cache = tmp_path / "cache"
    real = knowledge.load_compiled(data, cache)
    (copy,) = compiled_copies(cache)
    copy.write_bytes(pickle.dumps(attrs.evolve(real, snippets=())))
    copy.chmod(0o666)
    assert knowledge.load_compiled(data, cache) == real


def test_without_a_writable_cache_the_data_files_are_read(data, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory would be")
    assert knowledge.load_compiled(data, blocked / "knowledge") == knowledge.read(data)

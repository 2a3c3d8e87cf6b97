"""Unit tests of the import edits added with snippets."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fastapi_ls.imports import import_edits
from fastapi_ls.positions import document_lines


def with_imports(source: str, statements: list[str]) -> str:
    lines = document_lines(source)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    result = source
    edits = import_edits(lines, statements)
    for edit in sorted(edits, key=lambda e: (e.line, e.character), reverse=True):
        start = offsets[edit.line] + edit.character
        end = offsets[edit.end_line] + edit.end_character
        result = result[:start] + edit.new_text + result[end:]
    return result


@pytest.mark.parametrize(
    ("source", "statements", "expected"),
    [
        (
            "",
            ["from fastapi import FastAPI"],
            "from fastapi import FastAPI\n",
        ),
        (
            "from fastapi import FastAPI\n\napp = FastAPI()\n",
            ["from fastapi import FastAPI, Depends", "from typing import Annotated"],
            "from typing import Annotated\n\nfrom fastapi import Depends, FastAPI\n\n"
            "app = FastAPI()\n",
        ),
        (
            '"""Doc."""\nfrom __future__ import annotations\n\napp = 1\n',
            ["from fastapi import Depends"],
            '"""Doc."""\nfrom __future__ import annotations\n\nfrom fastapi import Depends\n\n'
            "app = 1\n",
        ),
        (
            '"""Doc\nstring.\n"""\napp = 1\n',
            ["import time"],
            '"""Doc\nstring.\n"""\n\nimport time\n\napp = 1\n',
        ),
        (
            "from fastapi import (\n    FastAPI,\n    Query,\n)\n",
            ["from fastapi import Depends, Query"],
            "from fastapi import (\n    Depends,\n    FastAPI,\n    Query,\n)\n",
        ),
        (
            "from fastapi import (FastAPI,\n                     Query)\n",
            ["from fastapi import Depends"],
            "from fastapi import (Depends, FastAPI,\n                     Query)\n",
        ),
        (
            "from fastapi import FastAPI  # the app\n",
            ["from fastapi import status"],
            "from fastapi import FastAPI, status  # the app\n",
        ),
        (
            "import time\nfrom fastapi import FastAPI\n",
            ["import time", "from fastapi import FastAPI"],
            "import time\nfrom fastapi import FastAPI\n",
        ),
        (
            "import os\r\nx = 1\r\n",
            ["from fastapi import Depends"],
            "import os\r\n\r\nfrom fastapi import Depends\r\nx = 1\r\n",
        ),
        (
            "x = 1",
            ["from fastapi import Depends"],
            "from fastapi import Depends\n\nx = 1",
        ),
        (
            "from fastapi import Depends as D\n",
            ["from fastapi import Depends"],
            "from fastapi import Depends as D, Depends\n",
        ),
        # Sorted names stay sorted as isort and ruff sort them: constants, classes, the rest.
        (
            "from fastapi import FastAPI, Query, status\n",
            ["from fastapi import Path, Depends, HTTPException, status, APIRouter, Body"],
            "from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Path, Query, "
            "status\n",
        ),
        (
            "from fastapi import (\n    Depends,\n    Query,  # why\n)\n",
            ["from fastapi import Header, Body, status"],
            "from fastapi import (\n    Body,\n    Depends,\n    Header,\n    Query,  # why\n"
            "    status,\n)\n",
        ),
        (
            "from starlette.status import HTTP_201_CREATED, Foo\n",
            ["from starlette.status import HTTP_404_NOT_FOUND"],
            "from starlette.status import HTTP_201_CREATED, HTTP_404_NOT_FOUND, Foo\n",
        ),
        (
            "from fastapi import (FastAPI,\n    Query,\n)\n",
            ["from fastapi import Depends"],
            "from fastapi import (Depends, FastAPI,\n    Query,\n)\n",
        ),
        (
            "from fastapi import Query, \\\n    status\n",
            ["from fastapi import Path"],
            "from fastapi import Path, Query, \\\n    status\n",
        ),
        # New statements go to their section (standard library, packages, the project's own
        # modules), sorted there: ``import m`` before ``from m import``, then by module.
        (
            '"""Doc."""\n\nimport os\nfrom pathlib import Path\n\nfrom fastapi import FastAPI\n'
            "from pydantic import BaseModel\n\nfrom .models import Item\n\napp = FastAPI()\n",
            ["from typing import Annotated", "import time", "from fastapi.security import X"],
            '"""Doc."""\n\nimport os\nimport time\nfrom pathlib import Path\nfrom typing import '
            "Annotated\n\nfrom fastapi import FastAPI\nfrom fastapi.security import X\n"
            "from pydantic import BaseModel\n\nfrom .models import Item\n\napp = FastAPI()\n",
        ),
        (
            "from fastapi import FastAPI\n\nfrom .deps import get_db\n",
            ["import jwt", "from typing import Annotated"],
            "from typing import Annotated\n\nimport jwt\nfrom fastapi import FastAPI\n\n"
            "from .deps import get_db\n",
        ),
        (
            "import os\n\nx = 1\n",
            ["from pydantic import BaseModel", "from fastapi import Depends"],
            "import os\n\nfrom fastapi import Depends\nfrom pydantic import BaseModel\n\nx = 1\n",
        ),
        # Statements in an order of the user's own: new ones go after their section's last.
        (
            "from pydantic import BaseModel\nfrom fastapi import FastAPI\n",
            ["from jwt import decode"],
            "from pydantic import BaseModel\nfrom fastapi import FastAPI\nfrom jwt import decode\n",
        ),
        # Names in an order of the user's own: new ones go last.
        (
            "from fastapi import Query, FastAPI\n",
            ["from fastapi import Depends"],
            "from fastapi import Query, FastAPI, Depends\n",
        ),
        # A new statement lists its names sorted.
        (
            "x = 1\n",
            ["from fastapi import status, HTTPException, Depends"],
            "from fastapi import Depends, HTTPException, status\n\nx = 1\n",
        ),
        (
            "from typing_extensions import Annotated\n",
            ["from typing import Annotated"],
            "from typing_extensions import Annotated\n",
        ),
    ],
)
def test_import_edits(source, statements, expected):
    assert with_imports(source, statements) == expected


def test_names_bound_later_in_the_file_are_not_imported_twice():
    lines = document_lines("from fastapi import FastAPI\n\n\ndef f():\n    pass\n")
    assert import_edits(lines, ["from fastapi import Depends"], already_bound={"Depends"}) == []


def test_header_of_a_broken_file():
    source = "from fastapi import (FastAPI,\n\nclass X(:\n"
    assert "Depends" in with_imports(source, ["from fastapi import Depends"])


HEADERS = {
    "sorted sections": (
        '"""Orders."""\n\nimport os\nfrom typing import Any\n\n'
        "from fastapi import APIRouter, Query\nfrom pydantic import BaseModel\n\n"
        "from .models import Order\n\nrouter = APIRouter()\n"
    ),
    "packages only": "from fastapi import FastAPI\n\napp = FastAPI()\n",
    "one name per line": (
        "import time\n\nfrom fastapi import (\n    Depends,\n    FastAPI,\n)\n\napp = FastAPI()\n"
    ),
    "future and docstring": '"""App."""\n\nfrom __future__ import annotations\n\nx = 1\n',
}


def test_every_snippets_imports_keep_a_sorted_header_sorted(tmp_path):
    """Each snippet's imports, added to headers that ruff finds sorted, leave them sorted."""
    from fastapi_ls import knowledge

    files = []
    for header_name, source in HEADERS.items():
        for snippet in knowledge.load().snippets:
            if not snippet.imports:
                continue
            path = tmp_path / f"{snippet.id}-{header_name.replace(' ', '_')}.py"
            path.write_text(with_imports(source, list(snippet.imports)))
            files.append(path)
    headers = []
    for index, source in enumerate(HEADERS.values()):
        headers.append(tmp_path / f"header_{index}.py")
        headers[-1].write_text(source)
    ruff = [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "I", "--no-cache"]
    before = subprocess.run([*ruff, *map(str, headers)], capture_output=True, text=True)
    assert before.returncode == 0, before.stdout
    after = subprocess.run([*ruff, *map(str, files)], capture_output=True, text=True)
    assert after.returncode == 0, after.stdout[:3000]

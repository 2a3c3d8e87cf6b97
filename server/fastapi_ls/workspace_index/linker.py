"""Resolve names across modules and build the route table from every module's facts.

A symbol is a small tuple: ``("module", path)``, ``("external", "fastapi.APIRouter")``,
``("class", path, name)``, ``("function", path, name)``, ``("instance", class symbol)``,
``("object", path, scope, name)`` for an app or router (its identity is the name its
constructor call is assigned to, in a module or inside a factory function), ``("str", value)``,
``("seq", path, scope, SeqValue)`` and ``("param", path, function, name)``.  Resolution gives a
tuple of symbols (a helper's parameter or a ``for`` target can stand for several).  Every
lookup is memoised for one linking pass and guarded against import cycles.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Callable, Iterable

import attrs

from .facts import (
    CallSite,
    ClassFacts,
    Construction,
    ElementOf,
    FunctionFacts,
    Import,
    IncludeDecl,
    ModuleFacts,
    NameValue,
    Ref,
    RouteDecl,
    SeqValue,
    StrParts,
    StrValue,
)
from .model import App, ChainLink, Route, RouteContext, RouteDeclaration, Router

_APP_CLASSES = {"fastapi.FastAPI", "fastapi.applications.FastAPI"}
_ROUTER_CLASSES = {"fastapi.APIRouter", "fastapi.routing.APIRouter"}
#: Deeper chains of names, imports or includes than this are not followed (cycles, or code no
#: one writes by hand).
MAX_DEPTH = 40

Sym = tuple


@attrs.frozen
class ObjectInfo:
    kind: str
    path: str
    scope: str
    name: str
    construction: Construction


@attrs.frozen
class Edge:
    parent: Sym
    child: Sym
    path: str
    decl: IncludeDecl


@attrs.frozen
class _Contribution:
    routes: tuple[tuple[Sym, RouteDecl], ...]
    edges: tuple[Edge, ...]
    unresolved: int
    volatile: bool


@attrs.frozen
class Linked:
    """Everything the queries need, computed in one pass; never changed afterwards."""

    apps: tuple[App, ...]
    routes: tuple[Route, ...]
    #: routes of routers that no app includes (path relative to the router)
    orphan_routes: tuple[Route, ...]
    unincluded_routers: tuple[Router, ...]
    #: include calls whose router could not be resolved: the "never included" check is off
    #: when there are any, as such a call may be the one including the router
    unresolved_includes: int


class Linker:
    def __init__(
        self,
        facts: Callable[[str], ModuleFacts | None],
        module_file: Callable[[str, str], str | None],
        eager: Iterable[str],
        is_test: Callable[[str], bool],
    ) -> None:
        self.facts = facts
        self._module_file = module_file
        self._eager = sorted(eager)
        self._is_test = is_test
        #: memos per module, so that forgetting a module's lookups costs nothing for the rest
        self._global_memo: dict[str, dict[str, tuple[Sym, ...]]] = defaultdict(dict)
        self._ref_memo: dict[str, dict[Ref, tuple[Sym, ...]]] = defaultdict(dict)
        #: lookups inside functions may depend on any caller (parameters): kept for one pass
        self._scoped_memo: dict[tuple[str, str, Ref], tuple[Sym, ...]] = {}
        self._kind_memo: dict[Sym, str | None] = {}
        self._active: set = set()
        self.objects: dict[Sym, ObjectInfo] = {}
        self._calls: dict[str, list[tuple[str, CallSite]]] = defaultdict(list)
        #: module -> modules whose names were resolved through it
        self._importers: dict[str, set[str]] = defaultdict(set)
        self._declarations: dict[tuple, RouteDeclaration] = {}
        self._contributions: dict[str, _Contribution] = {}

    def invalidate(self, changed: Iterable[str], eager: Iterable[str]) -> None:
        """Forget what depends on the changed modules: their own lookups and those of every
        module importing them, directly or not.  Lookups inside functions may depend on any
        caller, so they are always forgotten."""
        self._eager = sorted(eager)
        stale = set()
        pending = list(changed)
        while pending:
            path = pending.pop()
            if path in stale:
                continue
            stale.add(path)
            pending.extend(self._importers.get(path, ()))
        for path in stale:
            self._global_memo.pop(path, None)
            self._ref_memo.pop(path, None)
        self._scoped_memo = {}
        self._kind_memo = {
            k: v for k, v in self._kind_memo.items() if len(k) < 2 or k[1] not in stale
        }
        self._declarations = {k: v for k, v in self._declarations.items() if k[0] not in stale}
        self.objects = {k: v for k, v in self.objects.items() if k[1] not in stale}
        # modules whose routes or includes sit in functions depend on the helpers' callers
        self._contributions = {
            k: v for k, v in self._contributions.items() if k not in stale and not v.volatile
        }

    # names -------------------------------------------------------------------------------

    def resolve(self, path: str, scope: str, ref: Ref) -> tuple[Sym, ...]:
        memo = self._ref_memo[path] if not scope else self._scoped_memo
        key = (path, scope, ref)
        cached = memo.get(ref if not scope else key)
        if cached is not None:
            return cached
        if key in self._active or len(self._active) > MAX_DEPTH:
            return ()
        self._active.add(key)
        try:
            symbols = self._lookup(path, scope, ref[0])
            for name in ref[1:]:
                symbols = tuple(
                    dict.fromkeys(found for sym in symbols for found in self.attribute(sym, name))
                )
                if not symbols:
                    break
        finally:
            self._active.discard(key)
        memo[ref if not scope else key] = symbols
        return symbols

    def _lookup(self, path: str, scope: str, name: str) -> tuple[Sym, ...]:
        if scope:
            facts = self.facts(path)
            function = facts.names.get(scope) if facts else None
            if isinstance(function, FunctionFacts):
                if name in function.names:
                    return self.value(path, scope, name, function.names[name])
                if name in function.params:
                    return self._arguments(path, scope, name, function)
        return self.global_name(path, name)

    def global_name(self, path: str, name: str) -> tuple[Sym, ...]:
        key = (path, name)
        memo = self._global_memo[path]
        cached = memo.get(name)
        if cached is not None:
            return cached
        if key in self._active or len(self._active) > MAX_DEPTH:
            return ()
        self._active.add(key)
        try:
            symbols = self._global_name(path, name)
        finally:
            self._active.discard(key)
        memo[name] = symbols
        return symbols

    def _global_name(self, path: str, name: str) -> tuple[Sym, ...]:
        facts = self.facts(path)
        if facts is None:
            return ()
        binding = facts.names.get(name)
        if isinstance(binding, Import):
            return self._imported(path, binding)
        if isinstance(binding, FunctionFacts):
            return (("function", path, name),)
        if isinstance(binding, ClassFacts):
            return (("class", path, name),)
        if binding is not None:
            return self.value(path, "", name, binding)
        for module in facts.star_imports:
            target = self._module_file(path, module)
            if target is not None:
                self._importers[target].add(path)
                found = self.global_name(target, name)
                if found:
                    return found
        if posixpath.basename(path) == "__init__.py":
            submodule = self._module_file(path, "." + name)
            if submodule is not None:
                self._importers[submodule].add(path)
                return (("module", submodule),)
        return ()

    def _imported(self, path: str, binding: Import) -> tuple[Sym, ...]:
        target = self._module_file(path, binding.module)
        if target is not None:
            self._importers[target].add(path)
        if binding.name is None:
            if target is None:
                return (("external", binding.module),)
            return (("module", target),)
        if target is not None:
            found = self.global_name(target, binding.name)
            if found:
                return found
        # ``from . import items``, also from a namespace package (no ``__init__.py``)
        separator = "" if binding.module.endswith(".") else "."
        submodule = self._module_file(path, f"{binding.module}{separator}{binding.name}")
        if submodule is not None:
            self._importers[submodule].add(path)
            return (("module", submodule),)
        if target is None and not binding.module.startswith("."):
            return (("external", f"{binding.module}.{binding.name}"),)
        return ()

    def value(self, path: str, scope: str, name: str | None, value) -> tuple[Sym, ...]:
        if isinstance(value, Construction):
            return self._construction(path, scope, name, value)
        if isinstance(value, NameValue):
            return self.resolve(path, scope, value.ref)
        if isinstance(value, StrValue):
            text = self.string(path, scope, value.parts)
            return () if text is None else (("str", text),)
        if isinstance(value, SeqValue):
            return (("seq", path, scope, value),)
        if isinstance(value, ElementOf):
            found: list[Sym] = []
            for sym in self.value(path, scope, None, value.source):
                if sym[0] == "seq":
                    for item in sym[3].items:
                        if item is not None:
                            found.extend(self.value(sym[1], sym[2], None, item))
                else:
                    found.append(sym)
            return tuple(dict.fromkeys(found))
        return ()

    def _construction(
        self, path: str, scope: str, name: str | None, call: Construction
    ) -> tuple[Sym, ...]:
        found: list[Sym] = []
        for callee in self.resolve(path, scope, call.callee):
            kind = self.kind(callee)
            if kind is not None:
                identity = ("object", path, scope, name or "<return>")
                self.objects.setdefault(identity, ObjectInfo(kind, path, scope, name or "", call))
                found.append(identity)
            else:
                found.extend(self._called(callee))
        return tuple(found)

    def _called(self, callee: Sym) -> tuple[Sym, ...]:
        if callee[0] == "function":
            facts = self.facts(callee[1])
            function = facts.names.get(callee[2]) if facts else None
            if not isinstance(function, FunctionFacts):
                return ()
            found: list[Sym] = []
            for returned in function.returns:
                found.extend(self.value(callee[1], callee[2], None, returned))
            return tuple(found)
        if callee[0] in ("class", "external"):
            return (("instance", callee),)
        return ()

    def _arguments(
        self, path: str, function_name: str, param: str, function: FunctionFacts
    ) -> tuple[Sym, ...]:
        """What a helper's parameter stands for: the argument given at each call."""
        position = function.params.index(param)
        target = ("function", path, function_name)
        found: list[Sym] = []
        for caller, site in self._calls.get(function_name, ()):
            if target not in self.resolve(caller, site.scope, site.callee):
                continue
            argument = dict(site.kwargs).get(param)
            if argument is None and position < len(site.args):
                argument = site.args[position]
            if argument is not None:
                found.extend(self.resolve(caller, site.scope, argument))
        return tuple(dict.fromkeys(found))

    def attribute(self, sym: Sym, name: str) -> tuple[Sym, ...]:
        kind = sym[0]
        if name == "()":
            return self._called(sym)
        if kind == "module":
            return self.global_name(sym[1], name)
        if kind == "external":
            return (("external", f"{sym[1]}.{name}"),)
        if kind == "object":
            # ``app.router`` is the app's own router: including into it includes into the app
            return (sym,) if name == "router" else ()
        if kind in ("class", "instance"):
            text = self._class_string(sym if kind == "class" else sym[1], name, 0)
            return () if text is None else (("str", text),)
        return ()

    def _class_string(self, cls: Sym, field: str, depth: int) -> str | None:
        if cls[0] != "class" or depth > MAX_DEPTH:
            return None
        facts = self.facts(cls[1])
        info = facts.names.get(cls[2]) if facts else None
        if not isinstance(info, ClassFacts):
            return None
        if field in info.strings:
            return "".join(part for part in info.strings[field] if isinstance(part, str))
        for base in info.bases:
            for resolved in self.resolve(cls[1], "", base):
                text = self._class_string(resolved, field, depth + 1)
                if text is not None:
                    return text
        return None

    def kind(self, sym: Sym) -> str | None:
        """ "app" or "router" when calling ``sym`` builds one (FastAPI, APIRouter, subclasses)."""
        if sym in self._kind_memo:
            return self._kind_memo[sym]
        self._kind_memo[sym] = None
        result = None
        if sym[0] == "external":
            if sym[1] in _APP_CLASSES:
                result = "app"
            elif sym[1] in _ROUTER_CLASSES:
                result = "router"
        elif sym[0] == "class":
            facts = self.facts(sym[1])
            info = facts.names.get(sym[2]) if facts else None
            if isinstance(info, ClassFacts):
                for base in info.bases:
                    for resolved in self.resolve(sym[1], "", base):
                        result = result or self.kind(resolved)
        self._kind_memo[sym] = result
        return result

    def string(self, path: str, scope: str, parts: StrParts | None) -> str | None:
        if parts is None:
            return None
        pieces = []
        for part in parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            text = next(
                (sym[1] for sym in self.resolve(path, scope, part) if sym[0] == "str"), None
            )
            if text is None:
                return None
            pieces.append(text)
        return "".join(pieces)

    def string_or_placeholder(self, path: str, scope: str, parts: StrParts | None) -> str | None:
        """The string, with an unresolved name shown as ``{name}``; None if not a string."""
        if parts is None:
            return None
        pieces = []
        for part in parts:
            if isinstance(part, str):
                pieces.append(part)
            else:
                text = self.string(path, scope, (part,))
                pieces.append(text if text is not None else "{" + ".".join(part) + "}")
        return "".join(pieces)

    # the table ---------------------------------------------------------------------------

    def link(self) -> Linked:
        self._calls = defaultdict(list)
        for path in self._eager:
            facts = self.facts(path)
            if facts is not None:
                for site in facts.calls:
                    self._calls[site.callee[-1]].append((path, site))
        own_routes: dict[Sym, list[tuple[str, RouteDecl]]] = defaultdict(list)
        edges: dict[Sym, list[Edge]] = defaultdict(list)
        included: set[Sym] = set()
        unresolved = 0
        for path in self._eager:
            contribution = self._contributions.get(path)
            if contribution is None:
                contribution = self._contributions[path] = self._contribution(path)
            for target, decl in contribution.routes:
                own_routes[target].append((path, decl))
            for edge in contribution.edges:
                edges[edge.parent].append(edge)
                included.add(edge.child)
            unresolved += contribution.unresolved
        return self._table(own_routes, edges, included, unresolved)

    def _contribution(self, path: str) -> _Contribution:
        """What one module adds to the table: its apps and routers, routes and includes."""
        facts = self.facts(path)
        if facts is None:
            return _Contribution((), (), 0, False)
        for name, binding in facts.names.items():
            if isinstance(binding, Construction):
                self.value(path, "", name, binding)
            elif isinstance(binding, FunctionFacts):
                # an app factory (also one only uvicorn --factory calls): what it returns
                for value in binding.returns:
                    if isinstance(value, NameValue) and len(value.ref) == 1:
                        local = binding.names.get(value.ref[0])
                        if isinstance(local, Construction):
                            self.value(path, name, value.ref[0], local)
                    elif isinstance(value, Construction):
                        self.value(path, name, None, value)
        routes = []
        for route in facts.routes:
            for target in self.resolve(path, route.scope, route.target):
                if target[0] == "object":
                    routes.append((target, route))
        edges = []
        unresolved = 0
        for include in facts.includes:
            parents = [
                sym
                for sym in self.resolve(path, include.scope, include.parent)
                if sym[0] == "object"
            ]
            if not parents:
                continue
            children = [
                sym
                for sym in (
                    self.value(path, include.scope, None, include.child)
                    if include.child is not None
                    else ()
                )
                if sym[0] == "object"
            ]
            if not children and not include.mount:
                unresolved += 1
            edges.extend(
                Edge(parent, child, path, include) for parent in parents for child in children
            )
        volatile = any(route.scope for route in facts.routes) or any(
            include.scope for include in facts.includes
        )
        return _Contribution(tuple(routes), tuple(edges), unresolved, volatile)

    def _table(self, own_routes, edges, included, unresolved) -> Linked:
        apps: list[App] = []
        routes: list[Route] = []
        reachable: set[Sym] = set()
        for identity, info in sorted(self.objects.items(), key=lambda item: item[0][1:]):
            if info.kind != "app":
                continue
            app = App(
                info.name or "app",
                info.path,
                info.construction.span,
                info.scope,
                self._is_test(info.path),
            )
            apps.append(app)
            base = RouteContext(
                app=app,
                prefix="",
                chain=(),
                router_dependencies=tuple(d.text for d in info.construction.dependencies),
                tags=(),
                conditions=(),
                resolved=True,
            )
            self._walk(identity, base, own_routes, edges, routes, reachable, {identity})
        orphans: list[Route] = []
        unincluded: list[Router] = []
        for identity, info in sorted(self.objects.items(), key=lambda item: item[0][1:]):
            if info.kind != "router" or identity in reachable or identity in included:
                continue
            start = RouteContext(
                app=None,
                prefix="",
                chain=(),
                router_dependencies=tuple(d.text for d in info.construction.dependencies),
                tags=info.construction.tags,
                conditions=(),
                resolved=True,
            )
            before = len(orphans)
            self._walk(identity, start, own_routes, edges, orphans, set(), {identity})
            if len(orphans) > before:
                prefix = self._own_prefix(info)[0]
                unincluded.append(
                    Router(info.name, info.path, info.construction.span, prefix, info.scope)
                )
        return Linked(
            apps=tuple(apps),
            routes=tuple(routes),
            orphan_routes=tuple(orphans),
            unincluded_routers=tuple(unincluded),
            unresolved_includes=unresolved,
        )

    def _own_prefix(self, info: ObjectInfo) -> tuple[str, bool]:
        """The router's own ``prefix=`` and whether it resolved (apps have none)."""
        if info.kind != "router":
            return "", True
        parts = info.construction.prefix
        text = self.string_or_placeholder(info.path, info.scope, parts) or ""
        return text, self.string(info.path, info.scope, parts) is not None

    def _walk(self, identity, context, own_routes, edges, out, reachable, active):
        reachable.add(identity)
        info = self.objects[identity]
        own_prefix = self._own_prefix(info)
        steps: list[tuple[tuple, object]] = []
        for path, decl in own_routes.get(identity, ()):
            steps.append(((path, decl.decorator[0]), (path, decl)))
        for edge in edges.get(identity, ()):
            steps.append(((edge.path, edge.decl.span[0]), edge))
        steps.sort(key=lambda step: (step[0][0] != info.path, step[0]))
        for _, step in steps:
            if isinstance(step, Edge):
                self._follow(step, context, own_prefix, own_routes, edges, out, reachable, active)
            else:
                path, decl = step
                out.append(Route(context, self._declaration(path, decl, own_prefix)))

    def _follow(self, edge, context, own_prefix, own_routes, edges, out, reachable, active):
        child = edge.child
        if child in active or len(active) > MAX_DEPTH:
            return
        info = self.objects[child]
        decl = edge.decl
        if decl.mount and info.kind != "app":
            return
        include_prefix = self.string_or_placeholder(edge.path, decl.scope, decl.prefix) or ""
        include_resolved = self.string(edge.path, decl.scope, decl.prefix) is not None
        link = ChainLink(
            name=info.name,
            file=info.path,
            include_file=edge.path,
            include_span=decl.span,
            prefix=include_prefix + self._own_prefix(info)[0],
            mount=decl.mount,
            condition=decl.condition,
        )
        conditions = context.conditions
        if decl.condition:
            conditions = (*conditions, decl.condition)
        child_context = RouteContext(
            app=context.app,
            # the including router's prefix, then the include's: FastAPI's order
            prefix=context.prefix + own_prefix[0] + include_prefix,
            chain=(*context.chain, link),
            router_dependencies=(
                *context.router_dependencies,
                *(d.text for d in decl.dependencies),
                *(d.text for d in info.construction.dependencies),
            ),
            tags=(*context.tags, *decl.tags, *info.construction.tags),
            conditions=conditions,
            resolved=context.resolved and own_prefix[1] and include_resolved,
        )
        self._walk(child, child_context, own_routes, edges, out, reachable, {*active, child})

    def _declaration(self, path: str, decl: RouteDecl, own_prefix: tuple[str, bool]):
        key = (path, decl, own_prefix)
        found = self._declarations.get(key)
        if found is None:
            route_path = self.string_or_placeholder(path, decl.scope, decl.path) or ""
            found = RouteDeclaration(
                methods=decl.methods,
                path=own_prefix[0] + route_path,
                endpoint=decl.endpoint,
                file=path,
                decorator=decl.decorator,
                definition=decl.definition,
                response_model=decl.response_model,
                status_code=decl.status_code,
                route_dependencies=tuple(
                    d.text for d in (*decl.dependencies, *decl.param_dependencies)
                ),
                tags=decl.tags,
                condition=decl.condition,
                websocket=decl.websocket,
                resolved=own_prefix[1] and self.string(path, decl.scope, decl.path) is not None,
                params=decl.params,
                takes_any_keyword=decl.takes_any_keyword,
                dependency_params=self._dependency_params(path, decl),
            )
            self._declarations[key] = found
        return found

    def _dependency_params(self, path: str, decl: RouteDecl) -> tuple[str, ...] | None:
        """Parameters of the functions the route's own dependencies name (path parameters may
        be read there); None when one of them is not a function of the workspace."""
        params: list[str] = []
        for dependency in (*decl.dependencies, *decl.param_dependencies):
            if dependency.callee is None:
                return None
            symbols = self.resolve(path, decl.scope, dependency.callee)
            function = symbols[0] if symbols and symbols[0][0] == "function" else None
            target = self.facts(function[1]) if function else None
            info = target.names.get(function[2]) if target else None
            if not isinstance(info, FunctionFacts):
                return None
            params.extend(info.params)
        return tuple(params)

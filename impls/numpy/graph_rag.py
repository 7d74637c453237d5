"""GraphRAG over code: definitions, calls and imports as a graph; retrieval that
expands from the best hits along it (stage 4)."""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from pathlib import PurePosixPath

import networkx as nx

CALL_TYPES = {"call", "call_expression", "method_invocation", "function_call", "invocation_expression", "method_call"}
IMPORT_TYPES = {"import_statement", "import_from_statement", "import_declaration", "use_declaration", "preproc_include", "using_directive"}
DEFINITION_KINDS = {"function", "method", "class"}


@lru_cache(maxsize=None)
def _parser(language):
    from tree_sitter_language_pack import get_parser

    try:
        return get_parser(language)
    except Exception:
        return None


def _last_name(text):
    for sep in ("::", "->", ".", ":"):
        text = text.rsplit(sep, 1)[-1]
    return text.strip()


def _calls_and_imports(chunk):
    """Names a chunk calls and module names it imports, from its syntax tree."""
    parser = _parser(chunk.language)
    if parser is None:
        return set(), set()
    root = parser.parse(chunk.text.encode("utf-8")).root_node
    calls, imports, stack = set(), set(), [root]
    while stack:
        node = stack.pop()
        if node.type in CALL_TYPES:
            callee = node.child_by_field_name("function") or node.child_by_field_name("name") or (node.children[0] if node.children else None)
            if callee is not None:
                calls.add(_last_name(callee.text.decode("utf-8", "replace")))
        elif node.type in IMPORT_TYPES:
            for part in node.text.decode("utf-8", "replace").replace(",", " ").split():
                if part not in ("import", "from", "as", "use", "using", "#include", "*"):
                    imports.add(_last_name(part.strip("<>\"';{}()")))
        stack.extend(node.children)
    return calls, imports


def code_graph(chunks):
    graph = nx.DiGraph()
    by_name = defaultdict(list)  # last part of a symbol -> definition chunk ids
    by_module = defaultdict(list)  # file stem -> definition chunk ids
    by_symbol = {}
    for c in chunks:
        graph.add_node(c.chunk_id, chunk=c)
        if c.kind in DEFINITION_KINDS and c.symbol:
            by_name[_last_name(c.symbol)].append(c.chunk_id)
            by_module[PurePosixPath(c.path).stem].append(c.chunk_id)
            by_symbol.setdefault((c.path, c.symbol), c.chunk_id)
    for c in chunks:
        calls, imports = _calls_and_imports(c)
        for name in calls:
            for target in by_name.get(name, []):
                if target != c.chunk_id:
                    graph.add_edge(c.chunk_id, target, relation="calls")
        for module in imports:
            for target in by_module.get(module, []):
                if not graph.has_edge(c.chunk_id, target):
                    graph.add_edge(c.chunk_id, target, relation="imports")
        if c.kind == "class" and c.symbol:
            for (path, symbol), target in by_symbol.items():
                if path == c.path and symbol.startswith(c.symbol + ".") and "." not in symbol[len(c.symbol) + 1:]:
                    graph.add_edge(c.chunk_id, target, relation="member")
    return graph


RELATION_ORDER = {"calls": 0, "member": 0, "imports": 1}


def expand(graph, seed_ids, k):
    chosen = list(dict.fromkeys(s for s in seed_ids if s in graph))[:k]
    frontier = list(chosen)
    while frontier and len(chosen) < k:
        next_frontier = []
        for node in frontier:
            edges = [(RELATION_ORDER[d["relation"]], n) for n, d in ((n, graph.edges[node, n]) for n in graph.successors(node))]
            edges += [(RELATION_ORDER[d["relation"]], n) for n, d in ((n, graph.edges[n, node]) for n in graph.predecessors(node))]
            for _, neighbour in sorted(edges, key=lambda e: e[0]):  # stable: insertion order within a relation
                if neighbour not in chosen:
                    chosen.append(neighbour)
                    next_frontier.append(neighbour)
                    if len(chosen) == k:
                        return chosen
        frontier = next_frontier
    return chosen

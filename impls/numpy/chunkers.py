"""Chunkers: token windows, semantic breaks, syntax-tree chunks (roadmap Day 29-30, 37-40).

All three keep exact line spans: a window is a slice of the text between two
token boundaries, a semantic or AST chunk is a run of whole lines."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from aigc_bench.rag import Chunk, count_tokens_batch, token_offsets

# --------------------------------------------------------------------------- fixed


def chunk_fixed(document, max_tokens=200, overlap=32):
    if not 0 <= overlap < max_tokens:
        raise ValueError(f"need 0 <= overlap < max_tokens, got overlap={overlap}, max_tokens={max_tokens}")
    text = document.text
    offsets = token_offsets(text)  # [(char_start, char_end)] per word piece
    if not offsets:
        return []
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def line_of(char):  # 1-based line in the file
        return document.start_line + bisect.bisect_right(newlines, char - 1)

    step = max_tokens - overlap
    chunks, first = [], 0
    while True:
        last = min(first + max_tokens, len(offsets))  # window = tokens[first:last]
        begin, end = offsets[first][0], offsets[last - 1][1]
        chunks.append(document.with_(
            text=text[begin:end], start_line=line_of(begin), end_line=line_of(end - 1),
            kind="window", content_hash="",
        ))
        if last == len(offsets):
            return chunks
        first += step


# --------------------------------------------------------------------------- shared: runs of whole lines


def _line_chunks(document, runs):
    """Chunks of whole lines: runs = [(first_line_index, last_line_index, symbol, kind, context)], 0-based."""
    lines = document.text.splitlines(keepends=True)
    return [
        Chunk(text="".join(lines[a:b + 1]), path=document.path, language=document.language,
              start_line=document.start_line + a, end_line=document.start_line + b,
              symbol=symbol, kind=kind, context=context)
        for a, b, symbol, kind, context in runs
    ]


# --------------------------------------------------------------------------- semantic


def chunk_semantic(document, embed, max_tokens=200, breakpoint_percentile=25.0):
    lines = document.text.splitlines()
    # Sentences: each non-blank line starts one; blank lines stay with the one before.
    starts = [i for i, line in enumerate(lines) if line.strip()]
    if not starts:
        return []
    starts[0] = 0
    ends = [s - 1 for s in starts[1:]] + [len(lines) - 1]
    sentences = ["\n".join(lines[a:b + 1]).strip() for a, b in zip(starts, ends)]
    tokens = count_tokens_batch(sentences)

    breaks = np.zeros(len(sentences), dtype=bool)  # breaks[i]: a chunk ends after sentence i
    if len(sentences) > 1:
        vectors = np.asarray(embed(sentences), dtype=np.float32)  # [n, d], rows normalised
        similarity = np.sum(vectors[:-1] * vectors[1:], axis=1)  # [n-1] cosine of neighbours
        threshold = np.percentile(similarity, breakpoint_percentile)
        breaks[:-1] = similarity <= threshold

    runs, first, used = [], 0, 0
    for i, n in enumerate(tokens):
        if i > first and used + n > max_tokens:  # the budget forces a break before sentence i
            runs.append((starts[first], ends[i - 1]))
            first, used = i, 0
        used += n
        if breaks[i] or i == len(sentences) - 1:
            runs.append((starts[first], ends[i]))
            first, used = i + 1, 0
    return _line_chunks(document, [(a, b, document.symbol, "semantic", document.context) for a, b in runs])


# --------------------------------------------------------------------------- AST

# Node types that are containers (always split into their members) and callables
# (kept whole unless over budget), across the grammars of tree-sitter-language-pack.
CONTAINERS = {
    "class_definition", "class_declaration", "class_specifier", "struct_specifier", "union_specifier",
    "struct_item", "enum_item", "trait_item", "impl_item", "mod_item", "interface_declaration",
    "class", "module", "type_declaration", "object_declaration", "enum_declaration",
    "namespace_declaration", "namespace_definition", "record_declaration", "protocol_declaration",
    "trait_definition", "object_definition", "struct_declaration", "trait_declaration",
}
CALLABLES = {
    "function_definition", "function_declaration", "method_definition", "method_declaration",
    "constructor_declaration", "function_item", "method", "singleton_method",
    "generator_function_declaration", "secondary_constructor",
}
NAME_TYPES = ("identifier", "type_identifier", "property_identifier", "simple_identifier", "constant", "name", "word",
              "field_identifier", "qualified_identifier", "dot_index_expression", "method_index_expression",
              "scoped_identifier", "destructor_name", "operator_name")


@lru_cache(maxsize=None)
def _parser(language):
    from tree_sitter_language_pack import get_parser

    try:
        return get_parser(language)
    except Exception as exc:  # LookupError in 0.13; be liberal about what a grammar pack raises
        raise ValueError(f"no tree-sitter grammar for language {language!r}: {exc}") from None


def _definition(node):
    """(kind, name, node_for_members) when `node` defines a class-like thing or a callable, else None."""
    kind = node.type
    if kind == "decorated_definition":
        inner = node.child_by_field_name("definition")
        found = _definition(inner) if inner is not None else None
        return None if found is None else (found[0], found[1], inner)
    if kind in CONTAINERS:
        if kind in ("struct_specifier", "class_specifier", "union_specifier", "enum_item") and node.child_by_field_name("body") is None:
            return None  # `struct circle *c` in a parameter list is a use, not a definition
        return "class", _name(node), node
    if kind in CALLABLES:
        return "function", _name(node), node
    return None


def _name(node):
    for field in ("name", "type"):  # `type`: Rust's `impl Circle`
        child = node.child_by_field_name(field)
        if child is not None and child.type in NAME_TYPES + ("type_spec", "generic_type"):
            return _name(child) if child.type == "type_spec" else child.text.decode("utf-8", "replace")
    declarator = node.child_by_field_name("declarator")  # C/C++: int *f(int x) -> f
    while declarator is not None:
        if declarator.type in NAME_TYPES:
            return declarator.text.decode("utf-8", "replace")
        inner = declarator.child_by_field_name("declarator")
        if inner is None:
            break
        declarator = inner
    for child in node.named_children:
        if child.type in NAME_TYPES:
            return child.text.decode("utf-8", "replace")
        if child.type == "type_spec":  # Go: type Circle struct {...}
            return _name(child)
    return "?"


@dataclass
class _Atom:
    first: int  # 0-based rows, inclusive
    last: int
    symbol: str
    kind: str
    context: str
    mergeable: bool  # glue (statements, headers of split definitions) packs with neighbours
    sticky: bool = False  # punctuation ("}", "end") joins the group before it
    header: bool = False  # the first atom of a split definition starts a group of its own


def chunk_ast(document, max_tokens=200):
    source = document.text.encode("utf-8")
    tree = _parser(document.language).parse(source)
    lines = document.text.splitlines()
    if not lines:
        return []
    prefix = np.concatenate([[0], np.cumsum(count_tokens_batch(lines))])  # tokens of rows [a, b] = prefix[b+1]-prefix[a]

    def tokens(a, b):
        return int(prefix[b + 1] - prefix[a])

    last_row = len(lines) - 1

    def rows(node):
        a, b = node.start_point[0], node.end_point[0]
        if node.end_point[1] == 0 and b > a:  # ends at the start of the next line
            b -= 1
        return a, min(b, last_row)

    def contains_definitions(node):
        return any(_definition(c) for c in node.named_children)

    atoms: list[_Atom] = []

    def visit(node, scope):  # scope: [(kind, name)] of the enclosing definitions
        symbol_here = ".".join(n for _, n in scope)
        context = " > ".join([document.path] + [f"{k} {n}" for k, n in scope])
        for child in node.children:
            a, b = rows(child)
            found = _definition(child)
            if found:
                kind, name, inner = found
                qualified = ".".join([n for _, n in scope] + [name])
                if kind == "function" and any(k == "class" for k, _ in scope):
                    kind = "method"
                if kind != "class" and tokens(a, b) <= max_tokens:
                    atoms.append(_Atom(a, b, qualified, kind, context, mergeable=False))
                else:  # split on the children: a class into its members, a long function into statements
                    start = len(atoms)
                    visit(child, scope + [(kind, name)])
                    if len(atoms) > start:
                        atoms[start].header = True
                    for atom in atoms[start:]:
                        if atom.mergeable and atom.kind == "code":
                            atom.symbol, atom.kind = qualified, kind  # the definition's own header and statements
            elif (tokens(a, b) > max_tokens or contains_definitions(child)) and child.child_count > 0:
                visit(child, scope)
            elif tokens(a, b) > max_tokens and b > a:  # an oversized leaf (a long string): whole lines
                _split_lines(a, b, symbol_here, context)
            else:
                atoms.append(_Atom(a, b, symbol_here, "code", context, mergeable=True, sticky=not child.is_named))

    def _split_lines(a, b, symbol, context):
        first = a
        for row in range(a, b + 1):
            if row > first and tokens(first, row) > max_tokens:
                atoms.append(_Atom(first, row - 1, symbol, "lines", context, mergeable=False))
                first = row
        atoms.append(_Atom(first, b, symbol, "lines", context, mergeable=False))

    visit(tree.root_node, [])
    if not atoms:
        atoms.append(_Atom(0, last_row, "", "code", document.path, mergeable=True))

    # Pack atoms into groups of rows; a group starts on the first row of its first atom.
    groups: list[_Atom] = []
    for atom in atoms:
        if groups:
            g = groups[-1]
            shares_row = atom.first <= g.last
            fits = tokens(g.first, max(g.last, atom.last)) <= max_tokens
            joins = atom.sticky or (atom.mergeable and g.mergeable and not atom.header)
            if shares_row or (fits and joins):
                g.last = max(g.last, atom.last)
                if g.kind == "code" and atom.kind != "code":
                    g.symbol, g.kind = atom.symbol, atom.kind
                continue
        groups.append(_Atom(atom.first, atom.last, atom.symbol, atom.kind, atom.context, atom.mergeable))
    groups[0].first = 0  # leading blank lines and comments belong to the first chunk
    runs = []
    for g, nxt in zip(groups, groups[1:] + [None]):
        end = last_row if nxt is None else nxt.first - 1
        runs.append((g.first, end, g.symbol, g.kind, g.context))
    if any(tokens(a, b) > max_tokens and b > a for a, b, *_ in runs):
        runs = _split_oversized(runs, tokens, max_tokens, _node_start_rows(tree.root_node))
    return _line_chunks(document, runs)


def _node_start_rows(root):
    """Rows on which some syntax node starts: the only places a chunk may begin."""
    found, stack = set(), [root]
    while stack:
        node = stack.pop()
        found.add(node.start_point[0])
        stack.extend(node.children)
    return found


def _split_oversized(runs, tokens, max_tokens, allowed):
    """Atoms that share a row must share a chunk, so a group can still exceed the
    budget (a long call whose arguments start on its first line); cut such a
    group at rows where a node starts, greedily, keeping its label. A construct
    with no node starting inside (a 30-line docstring) is cut at plain line
    boundaries into pieces of kind "lines"."""
    out = []
    for a, b, symbol, kind, context in runs:
        first = a
        while first < b and tokens(first, b) > max_tokens:
            cut, best, fallback = first + 1, None, first + 1  # candidate first rows of the next piece
            while cut <= b and tokens(first, cut - 1) <= max_tokens:
                fallback = cut
                if cut in allowed:
                    best = cut
                cut += 1
            piece_kind = kind if best is not None else "lines"
            best = best if best is not None else fallback
            out.append((first, best - 1, symbol, piece_kind, context))
            first = best
        out.append((first, b, symbol, kind if first == a or first in allowed else "lines", context))
    return out

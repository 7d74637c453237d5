"""GraphRAG over code (stage 4): the graph of definitions, calls and imports, and
retrieval expanded along it, measured against plain dense retrieval on the same
questions."""


from aigc_bench import rag_eval
from aigc_bench.checks import fail
from impls.numpy.chunkers import chunk_ast

from .helpers import whole_file
from .samples import SOURCES

SKILL = "graph_rag"


def _sample_chunks(*languages):
    chunks = []
    for lang in languages:
        name, src, _ = SOURCES[lang]
        chunks += chunk_ast(whole_file(name, src, lang), max_tokens=200)
    return chunks


def _edges(graph):
    sym = lambda n: graph.nodes[n]["chunk"].symbol
    return {(sym(a), sym(b), d["relation"]) for a, b, d in graph.edges(data=True)}


def test_graph_links_calls_and_members(impl):
    chunks = _sample_chunks("python", "go", "javascript")
    graph = impl.code_graph(chunks)
    assert set(graph.nodes) == {c.chunk_id for c in chunks}, "one node per chunk"
    edges = _edges(graph)
    for edge in [("total_area", "Circle.area", "calls"), ("Circle", "Circle.area", "member"), ("TotalArea", "Area", "calls"), ("totalArea", "Circle.area", "calls")]:
        if edge not in edges:
            fail(f"the code graph lacks {edge[0]} -{edge[2]}-> {edge[1]}; it has {sorted(edges)}")


def test_graph_links_imports(impl):

    helper = chunk_ast(whole_file("pkg/geometry.py", "def circle_area(r):\n    return 3.14159 * r * r\n", "python"))
    user = chunk_ast(whole_file("pkg/report.py", "from geometry import circle_area\n\n\ndef report(r):\n    print(r)\n    return r\n", "python"))
    graph = impl.code_graph(helper + user)
    edges = _edges(graph)
    assert ("", "circle_area", "imports") in edges or any(r == "imports" and b == "circle_area" for _, b, r in edges), f"no import edge: {sorted(edges)}"


def test_expand_is_breadth_first_from_the_seeds(impl):
    chunks = _sample_chunks("python")
    graph = impl.code_graph(chunks)
    ids = {c.symbol: c.chunk_id for c in chunks}
    got = impl.expand(graph, [ids["total_area"]], 3)
    assert got[0] == ids["total_area"], "the seed comes first"
    assert ids["Circle.area"] in got, f"expansion from total_area must reach the method it calls: {[graph.nodes[n]['chunk'].symbol for n in got]}"
    assert len(got) == len(set(got)) <= 3
    assert impl.expand(graph, [ids["total_area"], ids["Circle"]], 1) == [ids["total_area"]], "k bounds the result"


def test_graph_rag_against_plain_rag(impl, embedder, run_record, record_metric):
    """Same questions, same chunks: plain dense top-5 vs dense top-3 expanded along the graph to 5."""
    eval_set = rag_eval.build_eval_set("click", files=["click/formatting.py", "click/utils.py"])
    chunks = rag_eval.chunk_corpus(eval_set, "ast", embedder)
    retriever = rag_eval.ChunkRetriever(chunks, embedder)
    graph = impl.code_graph(chunks)
    by_id = {c.chunk_id: c for c in chunks}
    assert graph.number_of_edges() > len(chunks) // 4, f"only {graph.number_of_edges()} edges among {len(chunks)} chunks"

    def plain(query):
        return [chunks[i] for i in retriever.rank(query, "dense", k=5)]

    def graph_expanded(query):
        seeds = [chunks[i].chunk_id for i in retriever.rank(query, "dense", k=3)]
        return [by_id[n] for n in impl.expand(graph, seeds, 5)]

    rows = {"plain dense top-5": rag_eval.evaluate_ranker(eval_set, plain), "dense top-3 + graph to 5": rag_eval.evaluate_ranker(eval_set, graph_expanded)}
    print("\n" + "\n".join(f"{name}: " + ", ".join(f"{k} {v:.3f}" for k, v in m.items()) for name, m in rows.items()))
    run_record.add_section("rag", {"kind": "graph_rag_vs_plain", "package": "click", "queries": len(eval_set.queries), "rows": rows})
    for name, m in rows.items():
        record_metric(f"{name} hit@5", m["hit@5"], better="higher")
    # Both see the same top-3; the graph can only change ranks 4-5.
    assert abs(rows["plain dense top-5"]["hit@1"] - rows["dense top-3 + graph to 5"]["hit@1"]) < 1e-9

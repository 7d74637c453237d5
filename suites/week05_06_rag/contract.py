"""Contracts of the weeks 5-6 skills (roadmap Day 29-40: RAG over code).

Every piece of text moves as an `aigc_bench.rag.Chunk`: the text plus path,
language, symbol, 1-based inclusive `start_line`/`end_line` and content hash,
so that an answer can cite `path:start-end` and a reader can check it.
Token budgets count all-MiniLM-L6-v2 word pieces (`aigc_bench.rag.count_tokens`,
no special tokens). An `embed` argument is a callable `embed(list[str]) ->
float32 [n, 384]` (L2-normalised rows) that the caller hands in; the
implementation must not load a model itself.
"""

from aigc_bench.contract import Skill

ROADMAP = "Day 29-40: document processing, indexing, retrieval and generation optimisation, code-base RAG"

# --------------------------------------------------------------------------- loaders

loaders = Skill(
    "loaders",
    weeks=(5, 6),
    summary="load PDF, Markdown (by headings) and source code in 10+ languages into cited chunks",
    roadmap="Day 29-30: loading PDF, Markdown, code; metadata extraction",
)


@loaders.function
def language_of(path):
    """The language of a source file from its extension, or None when it is not
    one we index: at least python, javascript, typescript, java, go, rust, c,
    cpp, csharp, ruby, php, kotlin, scala, swift, lua, bash (names as
    tree-sitter-language-pack spells them), and "markdown", "pdf"."""
    raise NotImplementedError


@loaders.function
def load_markdown(text, path):
    """Split a Markdown document at its ATX headings (`#` .. `######`; a `#`
    inside a fenced code block is not a heading).

    Returns a list of Chunks (kind "section", language "markdown") that cover
    the lines of `text` exactly once and in order; each section runs from its
    heading to the line before the next heading; text before the first heading
    is a section with symbol "". `symbol` is the heading path joined by " > "
    ("Install > From source"), `context` the same path. Empty text gives [].
    """
    raise NotImplementedError


@loaders.function
def load_pdf(path):
    """Extract the text of a PDF (pypdf), one Chunk per page with text
    (kind "page", language "pdf", symbol "page N", N from 1). Line numbers count
    lines of the whole extracted text, pages joined with a newline, so that
    consecutive pages get consecutive line spans. Raises ValueError naming the
    file when it is not a readable PDF."""
    raise NotImplementedError


@loaders.function
def load_file(path, root=None):
    """Load any supported file: Markdown -> load_markdown, PDF -> load_pdf,
    source code -> one Chunk of kind "file" holding the whole file (language from
    `language_of`, lines 1..n). `path` in the chunks is relative to `root`
    (POSIX separators) when `root` is given. Files of unknown type, binary files
    and empty files give []."""
    raise NotImplementedError


# --------------------------------------------------------------------------- chunkers

chunkers = Skill(
    "chunkers",
    weeks=(5, 6),
    summary="fixed-size (token windows with overlap), semantic and AST (tree-sitter) chunking",
    roadmap="Day 29-30: chunking strategies; Day 37-40: AST-based chunking with tree-sitter, 10+ languages",
)


@chunkers.function
def chunk_fixed(document, max_tokens=200, overlap=32):
    """Split `document` (a Chunk) into windows of `max_tokens` MiniLM word pieces,
    each starting `max_tokens - overlap` tokens after the previous one.

    A window's text is the exact slice of the document text from its first
    token's first character to its last token's last character; start_line and
    end_line are the lines of those two characters (counted from
    document.start_line). Together the windows cover every token of the
    document, consecutive windows share exactly `overlap` tokens, none holds
    more than `max_tokens` of the document's tokens. kind "window", symbol and
    context copied from the document. Raises ValueError unless
    0 <= overlap < max_tokens. A document without tokens gives [].
    """
    raise NotImplementedError


@chunkers.function
def chunk_semantic(document, embed, max_tokens=200, breakpoint_percentile=25.0):
    """Break `document` where the meaning changes.

    Sentences here are the document's non-blank lines (a line is the natural
    unit of code and Markdown, and keeps citations exact); blank lines stay with
    the sentence before. Adjacent sentences are embedded with `embed` and a
    chunk ends where the cosine similarity of a sentence to the next falls at
    or below the `breakpoint_percentile`-th percentile of all adjacent
    similarities, or where adding the next sentence would exceed `max_tokens`
    (a single sentence longer than the budget is a chunk of its own).
    Chunks (kind "semantic") cover every line exactly once and in order.
    """
    raise NotImplementedError


@chunkers.function
def chunk_ast(document, max_tokens=200):
    """Chunk source code along its syntax tree (tree-sitter-language-pack;
    `document.language` names the grammar).

    Functions, classes and methods become chunks of their own (kind "function",
    "class" or "method"; symbol the qualified name, "Class.method"); code between
    them (imports, module statements) forms chunks of kind "code". `context`
    names the enclosing scope ("path > class Foo"). A definition longer than
    `max_tokens` is split on its children's boundaries (a class into its
    methods, a long function into groups of statements). Chunks are whole lines,
    cover every line of the document exactly once and in order, each starts at
    the first line of a syntax node, and none exceeds `max_tokens` unless it is
    a single line. A language without a grammar raises ValueError naming it.
    """
    raise NotImplementedError


# --------------------------------------------------------------------------- index

code_index = Skill(
    "code_index",
    weeks=(5, 6),
    summary="persistent ChromaDB index with batch embedding and incremental updates by content hash",
    roadmap="Day 31-32: batch embedding, incremental index, persistence; index 10K+ documents",
)


@code_index.function
def open_index(directory, embed, collection="code"):
    """Open (or create) a persistent index stored in `directory` (a ChromaDB
    PersistentClient with Settings(anonymized_telemetry=False) and a collection
    using `embed`, cosine distance). Returns the index object the other
    functions take. Reopening the same directory gives the same contents."""
    raise NotImplementedError


@code_index.function
def sync_files(index, files, chunker):
    """Make the index hold exactly the chunks of `files` ({path: text}).

    Files whose text hash is unchanged since the last sync are left alone (not
    re-embedded); changed and new files are re-chunked with `chunker(path, text)
    -> list[Chunk]` and their chunks embedded in batches; files absent from
    `files` are dropped with all their chunks. Returns counts:
    {"added": files, "updated": files, "deleted": files, "unchanged": files,
     "chunks_embedded": n}.
    """
    raise NotImplementedError


@code_index.function
def search_index(index, query, k=10, where=None):
    """The `k` chunks nearest to `query` by cosine similarity (best first), as a
    list of (Chunk, similarity) pairs; `where` is an optional ChromaDB metadata
    filter ({"language": "python"}). An empty index gives []."""
    raise NotImplementedError


@code_index.function
def indexed_chunks(index):
    """Every chunk in the index (any order)."""
    raise NotImplementedError


# --------------------------------------------------------------------------- retrievers

retrievers = Skill(
    "retrievers",
    weeks=(5, 6),
    summary="BM25, dense top-k, hybrid fusion (reciprocal rank and weighted)",
    roadmap="Day 33-34: top-k tuning, hybrid retrieval (keyword + semantic)",
    reference_functions=("bm25s.BM25.get_scores", "bm25s.BM25.retrieve"),
)


@retrievers.function
def code_tokens(text):
    """Lower-cased search terms of a text or a query: words of at least 2
    characters, identifiers split at snake_case and camelCase boundaries and
    also kept whole ("parseHTTPHeader" -> parsehttpheader, parse, http, header)."""
    raise NotImplementedError


@retrievers.function
def bm25_index(corpus_tokens, k1=1.5, b=0.75):
    """Precompute what BM25 needs over `corpus_tokens` (list of token lists):
    document frequencies, document lengths, their mean. Returns an object for
    `bm25_scores`. Raises ValueError on an empty corpus."""
    raise NotImplementedError


@retrievers.function
def bm25_scores(index, query_tokens):
    """BM25 score of every document (float64 [n_docs]), the Lucene variant:
    sum over distinct query terms t of
        idf(t) * tf / (tf + k1 * (1 - b + b * len(d) / mean_len)),
        idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)).
    A repeated query term counts once per occurrence. Unknown terms add 0."""
    raise NotImplementedError


@retrievers.function
def dense_top_k(query_vector, doc_vectors, k):
    """Indices of the `k` rows of `doc_vectors` [n, d] with the largest dot
    product with `query_vector` [d] (cosine for normalised rows), best first,
    ties to the lower index; fewer when n < k. Raises ValueError when the
    dimensions differ."""
    raise NotImplementedError


@retrievers.function
def reciprocal_rank_fusion(rankings, k=60, weights=None):
    """Fuse ranked lists of ids (best first): score(id) = sum_i w_i / (k + rank_i(id)),
    rank from 1, lists in which the id is absent add nothing; w_i = 1 by
    default. Returns every id of every list, best first (ties by first
    appearance)."""
    raise NotImplementedError


@retrievers.function
def weighted_fusion(score_maps, weights):
    """Fuse {id: score} maps: each map's scores min-max normalised to [0, 1]
    (all-equal scores become 1), then summed with `weights`; an id absent from a
    map gets 0 from it. Returns ids best first (ties by first appearance).
    Raises ValueError when the number of weights differs from the maps'."""
    raise NotImplementedError


# --------------------------------------------------------------------------- rerankers

rerankers = Skill(
    "rerankers",
    weeks=(5, 6),
    summary="maximal marginal relevance and cross-encoder reranking",
    roadmap="Day 33-34: reranking (MMR, cross-encoder)",
)


@rerankers.function
def mmr(query_vector, doc_vectors, k, lambda_=0.5):
    """Maximal marginal relevance: repeatedly pick the candidate maximising
    lambda_ * sim(q, d) - (1 - lambda_) * max_{s picked} sim(d, s) (dot products;
    the first pick is the most similar). Returns up to `k` indices in pick
    order. lambda_=1 is plain similarity ranking."""
    raise NotImplementedError


@rerankers.function
def cross_encoder_rerank(query, texts, score_pairs, k=None):
    """Order `texts` by a cross-encoder's relevance: `score_pairs(list[(query,
    text)]) -> float array` (a model loaded from a local directory, handed in by
    the caller). Returns indices best first (ties to the lower index), the
    first `k` when given."""
    raise NotImplementedError


# --------------------------------------------------------------------------- generation

generation = Skill(
    "generation",
    weeks=(5, 6),
    summary="prompt assembly with path:start-end citations, context compression, extractive answers",
    roadmap="Day 35-36: prompt engineering, context compression, citing sources",
)


@generation.function
def cite(chunk):
    """The citation of a chunk: "path:start-end" with its 1-based inclusive lines."""
    raise NotImplementedError


@generation.function
def compress_context(chunks, budget_tokens):
    """Fit retrieved chunks (best first) into `budget_tokens` MiniLM tokens:
    drop duplicates (same text, or lines contained in an earlier chunk of the same
    path), keep the order, and trim the first chunk that does not fit to its
    leading whole lines (end_line updated to match the text) and stop there.
    Never returns a chunk whose text disagrees with its line span."""
    raise NotImplementedError


@generation.function
def assemble_prompt(question, chunks):
    """Chat messages for an OpenAI-compatible endpoint: [{"role": "system", ...},
    {"role": "user", ...}]. The user message holds every chunk's text under a
    header "[n] path:start-end" (n from 1) and the question; the system message
    tells the model to answer only from the snippets and to cite them as
    path:start-end."""
    raise NotImplementedError


@generation.function
def extractive_answer(question, chunks, max_snippets=3):
    """The answer without a language model: a first line saying plainly that it
    is an extractive answer (no language model was used), then the first
    `max_snippets` chunks, each headed by its citation path:start-end."""
    raise NotImplementedError


# --------------------------------------------------------------------------- stage 4: GraphRAG and agent-based RAG

graph_rag = Skill(
    "graph_rag",
    weeks=(5, 6),
    summary="GraphRAG over code: a graph of definitions, calls and imports; retrieval expanded along it",
    roadmap="stage 4: GraphRAG (graph structure retrieval, relation reasoning)",
)


@graph_rag.function
def code_graph(chunks):
    """A networkx.DiGraph over `chunks` (AST chunks of a code base): one node per chunk
    (its chunk_id, attribute "chunk" = the Chunk), and an edge A -> B with attribute
    "relation" when
      "calls":    A's code calls a function or method that B defines (the call's last
                  name equals the last part of B's symbol; found with tree-sitter),
      "member":   B is a method of the class A defines (B.symbol starts with A.symbol + "."),
      "imports":  A imports the module (file stem) in which B is a definition.
    """
    raise NotImplementedError


@graph_rag.function
def expand(graph, seed_ids, k):
    """Up to `k` chunk ids: the seeds (best hits, in order), then their neighbours
    along the graph in either direction, breadth first (neighbours of the first seed
    before those of the second; "calls" and "member" before "imports"), each once."""
    raise NotImplementedError


agent_rag = Skill(
    "agent_rag",
    weeks=(5, 6),
    summary="agent-based RAG: a ReAct loop with search and read_file tools against a chat model",
    roadmap="stage 4: agent-based RAG; Day 41-47: ReAct",
)


@agent_rag.function
def parse_action(text):
    """Read one model turn. Returns ("final", answer) for "Final Answer: ...",
    (tool, argument) for "Action: tool[argument]" (the last Action line wins), and
    ("invalid", reason) when the turn holds neither."""
    raise NotImplementedError


@agent_rag.function
def react_agent(question, tools, complete, max_steps=6):
    """Answer `question` with a ReAct loop.

    tools: {name: callable(str) -> str}, e.g. "search" (query -> ranked
    path:start-end hits) and "read_file" ("path:start-end" -> those lines).
    complete(messages) -> str is the chat model (an endpoint, or a test double).
    The system message lists the tools and the format (Thought / Action:
    tool[argument] / Final Answer); after each action the tool's result is sent
    back as a user message "Observation: ...". An unknown tool or an invalid turn
    is answered with an Observation saying what is wrong (the loop goes on).

    Returns {"answer": str, "finished": bool, "steps": [{"action", "argument",
    "observation"}], "messages": [...]}; finished is False when max_steps model
    turns passed without a final answer (answer then says so)."""
    raise NotImplementedError

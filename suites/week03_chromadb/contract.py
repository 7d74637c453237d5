"""Contract of the week 3 vector database skill (roadmap Day 17-18: ChromaDB).

A vector store holds named collections of records: an id (str), an embedding,
a document (str) and a metadata dict (str -> str/int/float/bool). The suite
runs the same checks against ChromaDB (on disk, and a `chroma run` server over
HTTP), our NumPy store, and a learner's store.

Distances (ascending, nearest first), as ChromaDB reports them:
    "l2" squared Euclidean; "ip" 1 - <q, x>; "cosine" 1 - cos(q, x).

Filters use ChromaDB's language:
    where:           {"key": value}                       equality
                     {"key": {"$eq"|"$ne"|"$gt"|"$gte"|"$lt"|"$lte": value}}
                     {"key": {"$in"|"$nin": [values]}}
                     {"$and": [filter, ...]}, {"$or": [filter, ...]}
                     (several keys in one dict are an error: use $and)
    where_document:  {"$contains": "text"}, {"$not_contains": "text"},
                     {"$and": [...]}, {"$or": [...]}
A record whose metadata lacks the key does not match a comparison ($ne and
$nin included), as in ChromaDB.

Errors: ValueError for a duplicate or unknown id in add, lists of different
lengths, embeddings of another dimension, k < 1, an unknown distance, a
malformed filter, an existing collection name in create_collection;
KeyError for a collection that does not exist.
"""

from aigc_bench.contract import Skill

DISTANCES = ("l2", "ip", "cosine")

vector_store_skill = Skill(
    "vector_store",
    weeks=(3,),
    summary="a persistent vector database: collections, add, query top-k, metadata/document filters, update, delete",
    roadmap="Day 17-18: vector databases (ChromaDB): collections, documents and embeddings, similarity search, metadata filters",
    optional=("connect",),
)


@vector_store_skill.function
def open_store(path):
    """Open (creating if needed) the store persisted in folder `path`. Everything
    written through it is on disk when the call that wrote it returns: another
    process opening the same folder afterwards sees it all."""
    raise NotImplementedError


def connect(url):
    """Optional: a store served over HTTP at `url` ("http://127.0.0.1:8000"), e.g. a
    `chroma run` server. The suite's server checks skip an implementation without it."""
    raise NotImplementedError


@vector_store_skill.function
def create_collection(store, name, distance="cosine", embedding_function=None):
    """Create collection `name` comparing vectors by `distance` ("l2", "ip", "cosine").
    `embedding_function(list_of_texts) -> [n, d]` embeds documents added without
    embeddings. Returns the collection. ValueError if the name exists."""
    raise NotImplementedError


@vector_store_skill.function
def get_collection(store, name, embedding_function=None):
    """The existing collection `name` (with its distance as created). KeyError if missing."""
    raise NotImplementedError


@vector_store_skill.function
def list_collections(store):
    """The names of the store's collections (a list of str, any order)."""
    raise NotImplementedError


@vector_store_skill.function
def delete_collection(store, name):
    """Remove collection `name` and its records. KeyError if missing."""
    raise NotImplementedError


@vector_store_skill.function
def add(collection, ids, embeddings=None, documents=None, metadatas=None):
    """Add records. ids: list of new, distinct str; embeddings: [n, d] (or None: the
    collection's embedding function embeds `documents`); documents: list of str or None;
    metadatas: list of dicts or None. ValueError on a duplicate id or mismatched lengths."""
    raise NotImplementedError


@vector_store_skill.function
def query(collection, query_embeddings, k=10, where=None, where_document=None):
    """The k nearest records to each row of query_embeddings [q, d] among those the
    filters keep. Returns {"ids", "distances", "documents", "metadatas"}: each a list
    (one per query) of lists (nearest first; fewer than k when fewer records match)."""
    raise NotImplementedError


@vector_store_skill.function
def get(collection, ids=None, where=None, where_document=None):
    """Records by id and/or filters (all when none given), any order: {"ids": [str],
    "embeddings": float array [m, d], "documents": [str | None], "metadatas": [dict | None]}.
    Unknown ids are left out."""
    raise NotImplementedError


@vector_store_skill.function
def update(collection, ids, embeddings=None, documents=None, metadatas=None):
    """Replace the given fields of existing records (a metadata dict replaces the old
    one's keys it names and keeps the others, as ChromaDB does). New documents without
    new embeddings are re-embedded. ValueError for an id that does not exist."""
    raise NotImplementedError


@vector_store_skill.function
def delete(collection, ids=None, where=None, where_document=None):
    """Delete the records with these ids and/or matching the filters."""
    raise NotImplementedError


@vector_store_skill.function
def count(collection):
    """The number of records in the collection."""
    raise NotImplementedError

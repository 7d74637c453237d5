"""Common learner mistakes in the week 3 vector store; the suite must fail each one
(`pytest suites/week03_chromadb --impl mistakes`)."""

import numpy as np

from impls.numpy import vector_store as reference
from impls.numpy.ann_common import top_k

from .contract import vector_store_skill


@vector_store_skill.mistake("query", "query ignores the where filter (filters only applied by get)")
def query_ignoring_where(collection, query_embeddings, k=10, where=None, where_document=None):
    return reference.query(collection, query_embeddings, k, where=None, where_document=where_document)


@vector_store_skill.mistake("query", "cosine distance computed without normalising the vectors (1 - q.x, not 1 - cos)")
def cosine_without_normalisation(collection, query_embeddings, k=10, where=None, where_document=None):
    c = collection
    q = np.asarray(query_embeddings, np.float32)
    rows = np.arange(len(c.ids))
    if c.distance != "cosine":
        return reference.query(collection, query_embeddings, k, where, where_document)
    d = 1.0 - q @ c.vectors.T  # the stored rows keep their norms
    best, dist = top_k(d, int(k), rows)
    return {
        "ids": [[c.ids[i] for i in row] for row in best],
        "distances": [row.tolist() for row in dist],
        "documents": [[c.documents[i] for i in row] for row in best],
        "metadatas": [[c.metadatas[i] for i in row] for row in best],
    }


@vector_store_skill.mistake("update", "update replaces the whole metadata dict instead of merging the new keys into it")
def update_replacing_metadata(collection, ids, embeddings=None, documents=None, metadatas=None):
    reference.update(collection, ids, embeddings, documents, None)
    if metadatas is not None:
        where = collection.position()
        for id_, meta in zip(ids, metadatas):
            collection.metadatas[where[id_]] = dict(meta)
        collection.save()

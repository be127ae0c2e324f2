"""Index: chunks -> vectors (sentence-transformers) and BM25 terms -> the index on disk, built incrementally.

Hands the search stage an IndexStore (vectors, chunk table, lexical index, manifest) and the query embedder."""

"""Index: chunks -> vectors (sentence-transformers) and BM25 terms -> the index on disk, built incrementally.

Hands the search stage a ChunkStore (stores/: the FAISS + BM25 folder or Milvus) and the query embedder."""

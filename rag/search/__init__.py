"""Search: a question -> ranked passages (Hits). Dense and BM25 candidates fused, filtered and re-ranked, with the
news-aware reading of the question: follow-ups made standalone, time words, the reports it names.

Hands the answering stage the Hits and the filters and time frame it applied."""

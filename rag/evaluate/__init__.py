"""Evaluate: `rag eval` (retrieval and answer quality on question sets) and `rag bench` (speed on this machine).

Uses every stage below it; nothing in the pipeline imports it."""

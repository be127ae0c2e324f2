"""Answering: passages -> prompt -> the local model's reply -> a checked Answer with citations (`QA`, `answer()`).

Hands callers (CLI, chat page, evaluation) Answer objects: text with [n] markers, citations, timings."""

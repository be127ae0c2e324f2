"""Evaluate: `rag eval` (retrieval and answer quality on question sets) and `rag bench` (speed on this machine).

Evaluators are given their data and return a dict of metrics: retrieval and answers (evaluators.py, composed by
evaluation.py for `rag eval`), the verification against the labelled sentences (claim_labels.py), and the speed
sections of `rag bench` (index_speed.py, query_speed.py, model_speed.py, prompt_bench.py, run by benchmark.py).
They share the question set (questions.py), its cached index (set_index.py), resumable records (records.py),
the metrics (scoring.py, claim_check.py) and one small report module (report.py). Finished experiments live
outside the package, in studies/. Uses every stage below it; nothing in the pipeline imports it."""

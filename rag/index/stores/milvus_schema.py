"""The Milvus store's collections: their names (a data generation's chunks and articles, `_meta`, the readers'
aliases), their fields and indexes, and the filters as a Milvus boolean expression over the chunk fields."""

from __future__ import annotations

import json
import re
from typing import Any

from rag.index.stores.contract import UNDATED, Filters, day_number

PREFIX = "news_rag"
META = f"{PREFIX}_meta"
ALIASES = {"chunks": f"{PREFIX}_chunks", "articles": f"{PREFIX}_articles"}  # the live generation, for readers
TEXT_CHARS = 65_535  # Milvus's longest VARCHAR
BM25_K1, BM25_B = 1.5, 0.75  # as bm25s, which the folder store uses
LEGACY_UNDATED = -1  # the undated day number of indexes whose manifest names none (articles before 1970 were lost)


def tables_of(name: str) -> str | None:
    """The data generation ("g000002") a collection belongs to, None for _meta and others' collections."""
    match = re.fullmatch(rf"{PREFIX}_(g\d{{6,}})_(?:chunks|articles)", name)
    return match.group(1) if match else None


def milvus_filter(filters: Filters, undated: int = UNDATED) -> str:
    """The filters as a Milvus boolean expression over the chunk fields `day` and `source` ("" for none; pure).
    undated is the index's day number of an undated article (LEGACY_UNDATED in indexes written before
    UNDATED, whose undated articles share 1969-12-31's number)."""
    parts = []
    if filters.since or filters.until:
        low = day_number(filters.since) if filters.since else None
        dated = [f"day >= {low}" if low is not None else f"day > {undated}"]
        if low is not None and low <= undated:
            dated.append(f"day != {undated}")
        if filters.until:
            dated.append(f"day <= {day_number(filters.until)}")
        expression = " and ".join(dated)
        parts.append(f"(day == {undated} or ({expression}))" if filters.keep_undated else f"({expression})")
    if filters.sources:
        names = ", ".join(json.dumps(s.lower(), ensure_ascii=False) for s in sorted(set(filters.sources)))
        parts.append(f"source in [{names}]")
    return " and ".join(parts)


def chunk_collection(client: Any, dim: int) -> tuple[Any, Any]:
    """The chunk collection's schema and index parameters: the dense vector searched by inner product and the
    passage's terms analysed by a Milvus BM25 function into a sparse vector."""
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("article_id", DataType.VARCHAR, max_length=1024)
    schema.add_field("ordinal", DataType.INT64)
    schema.add_field("start", DataType.INT64)
    schema.add_field("end", DataType.INT64)
    schema.add_field("text", DataType.VARCHAR, max_length=TEXT_CHARS)
    # the terms the folder store's BM25 reads (tokenize), so both stores score the same words
    schema.add_field(
        "terms",
        DataType.VARCHAR,
        max_length=TEXT_CHARS,
        enable_analyzer=True,
        analyzer_params={"tokenizer": "standard", "filter": ["lowercase"]},
    )
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("day", DataType.INT64)
    schema.add_field("source", DataType.VARCHAR, max_length=1024)
    schema.add_function(
        Function(
            name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"], output_field_names=["sparse"]
        )
    )
    index = client.prepare_index_params()
    index.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
    index.add_index(
        field_name="sparse",
        index_type="SPARSE_INVERTED_INDEX",
        metric_type="BM25",
        params={"bm25_k1": BM25_K1, "bm25_b": BM25_B},
    )
    return schema, index


def keyed_collection(client: Any, name: str, key_type: Any) -> tuple[Any, Any]:
    """The schema and index parameters of a collection of JSON documents by key (_meta by an int key, the
    articles by id); Milvus wants a vector field in every collection: a dummy."""
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False)
    key_name, value_name = ("key", "manifest") if name == META else ("id", "entry")
    schema.add_field(
        key_name, key_type, is_primary=True, **({"max_length": 1024} if key_type == DataType.VARCHAR else {})
    )
    schema.add_field(value_name, DataType.JSON)
    schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
    index = client.prepare_index_params()
    index.add_index(field_name="unused", index_type="FLAT", metric_type="L2")
    return schema, index

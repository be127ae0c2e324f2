"""Near-duplicate (syndicated) articles: MinHash signatures of word shingles, grouped with LSH.

Two articles are copies only when their shingles mostly agree, both are long enough to be articles rather than
snippets, and they name the same numbers and proper names (after the dateline): a text that changes a fact
("moved to Tampa" / "moved to Glendale") is a different claim, to be shown beside the other, never merged."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

PERMUTATIONS = 64
SHINGLE_WORDS = 5
THRESHOLD = 0.8  # estimated Jaccard similarity of the shingle sets above which two articles are one story
CANDIDATE_THRESHOLD = 0.5  # LSH finds pairs from here, so true pairs near THRESHOLD are not missed
_SEED = 1
SCHEME = "affine32"  # 32-bit hash values, stored as 4 bytes each
MIN_WORDS = 60  # shorter texts (snippets, briefs) are never merged
DATELINE_WORDS = 10  # the opening words may differ between copies ("WASHINGTON (Reuters)")
VERSION = 2  # recorded in the manifest; a different rule means the duplicates are worked out again


def fingerprint(text: str) -> dict[str, object]:
    """What the manifest keeps per article to find its copies: MinHash, length and the facts it names."""
    words = re.findall(r"\w+", text)
    facts = sorted({w for w in words[DATELINE_WORDS:] if w[0].isupper() or any(c.isdigit() for c in w)})
    return {
        "minhash": signature(text),
        "words": len(words),
        "facts": hashlib.sha1(" ".join(facts).encode()).hexdigest()[:16],
    }


def signature(text: str) -> str:
    """The MinHash signature of the article's 5-word shingles, as compact text for the manifest."""
    from datasketch import MinHash

    words = re.findall(r"\w+", text.lower())
    shingles = {" ".join(words[i : i + SHINGLE_WORDS]).encode() for i in range(max(1, len(words) - SHINGLE_WORDS + 1))}
    minhash = MinHash(num_perm=PERMUTATIONS, seed=_SEED, scheme=SCHEME)
    minhash.update_batch(list(shingles))
    return base64.b64encode(minhash.hashvalues.astype("<u4").tobytes()).decode("ascii")


def _minhash(encoded: str):
    from datasketch import MinHash

    values = np.frombuffer(base64.b64decode(encoded), dtype="<u4").astype(np.uint64)
    return MinHash(num_perm=PERMUTATIONS, seed=_SEED, hashvalues=values, scheme=SCHEME)


def group_duplicates(articles: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """For each article that near-duplicates another: article id -> the id of the copy kept as the original
    (the earliest published, then the smallest id). Articles need the fields of fingerprint()."""
    from datasketch import MinHashLSH

    hashes = {
        aid: _minhash(str(a["minhash"]))
        for aid, a in articles.items()
        if a.get("minhash") and int(a.get("words", 0)) >= MIN_WORDS
    }
    lsh = MinHashLSH(threshold=CANDIDATE_THRESHOLD, num_perm=PERMUTATIONS)
    for aid, minhash in hashes.items():
        lsh.insert(aid, minhash)
    parent = {aid: aid for aid in hashes}

    def root(aid: str) -> str:
        while parent[aid] != aid:
            parent[aid] = parent[parent[aid]]
            aid = parent[aid]
        return aid

    for aid, minhash in hashes.items():
        for other in lsh.query(minhash):
            if (
                other != aid
                and articles[other].get("facts") == articles[aid].get("facts")
                and minhash.jaccard(hashes[other]) >= THRESHOLD
            ):
                parent[root(other)] = root(aid)
    groups: dict[str, list[str]] = {}
    for aid in hashes:
        groups.setdefault(root(aid), []).append(aid)
    original_of = {}
    for members in groups.values():
        if len(members) > 1:
            first = min(members, key=lambda aid: (articles[aid].get("published") or "9999", aid))
            original_of.update({aid: first for aid in members if aid != first})
    return original_of

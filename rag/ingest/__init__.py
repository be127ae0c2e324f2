"""Ingest: article files -> Articles (text and metadata) -> token-budgeted chunks; uploads and syndicated copies.

Hands the index stage Articles and their chunk spans; imports nothing from the later stages."""

"""Text primitives every stage shares: sentences, words and the claims a text states (pure)."""

"""What's new: a cited briefing of the stories in the index, grouped across outlets (stories), each with its
key sentences quoted (quotes), marked against the briefing before it (memory); `brief` puts them together."""

"""Questions across several reports (see rag.search.several): each named report's article and evidence
found on its own (evidence), a verdict derived from them by rules (verdict), and the answer that shows
what each report says, then the verdict, every part cited (writing)."""

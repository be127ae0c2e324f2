"""Articles from the web, fetched only when the user asks: pages by URL and the items of RSS/Atom feeds,
extracted, saved into the articles folder as Markdown files the loaders read back."""

"""RAG governance on the request path: chunk metadata, the source catalog snapshot, chunk filtering and attribution."""

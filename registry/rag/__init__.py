"""RAG governance in the registry: the sources a RAG system indexes, the embedding versions their indexes were built
with, and the re-index tasks opened when a source changes its embedding model."""

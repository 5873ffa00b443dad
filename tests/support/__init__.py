"""Test helpers shared across test areas (fake OpenAI upstream, ...)."""

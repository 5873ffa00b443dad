"""Data files of the PII guardrail (name gazetteers, English words, countries, nationalities); see SOURCES.md."""

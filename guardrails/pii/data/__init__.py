"""Data files of the PII guardrail (name gazetteer, English words, countries); see build_names.py."""

"""The LLM usage policy: data classes per deployment, approved use cases, human review and attribution.

`config` is the section compliance teams write; `classify` finds a request's data class; `use_cases` reads the
registry's use cases; `attribution` marks answers; `gateway.pipeline.apply_policy` is the one pipeline step that
enforces all of it.
"""

"""Errors raised by the prompt store, each carrying the HTTP status the gateway answers with."""

from __future__ import annotations


class PromptError(Exception):
    """Base class of every prompt-store error."""

    http_status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PromptNotFound(PromptError):
    """The prompt, label or version does not exist (or the prompt is absent at that version)."""

    http_status = 404


class PromptRequestError(PromptError):
    """The request names a prompt in a malformed way (bad ref syntax, both label and version...)."""

    http_status = 400


class PromptVariableError(PromptRequestError):
    """A variable is missing, of the wrong type, undeclared or not overridable; `variable` names it."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(message)
        self.variable = variable


class PromptRenderError(PromptError):
    """A template failed at render time (a sandbox refusal or a bug in a reviewed template)."""

    http_status = 500


class PromptFormatError(PromptError):
    """A prompt or labels file is invalid; `issues` holds the `file:line: message` lines."""

    def __init__(self, message: str, issues: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.issues = issues


class GitError(PromptError):
    """A git command failed; the message quotes the command and git's stderr."""

"""Exceptions that carry one-line, user-facing messages (no heavy imports)."""

from __future__ import annotations


class ConfigError(ValueError):
    """Bad configuration or sample sheet; ``str()`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class ToolError(RuntimeError):
    """An external tool failed; the message names the tool, the input and the fix."""

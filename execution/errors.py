"""Domain errors: expected failures that the CLI prints as one red line (exit 1)."""


class WaError(Exception):
    """An expected, user-facing failure. The message says what went wrong and what to do."""


class NotFoundError(WaError):
    """A referenced agent, property or conversation does not exist (or belongs to another agent)."""


class ValidationError(WaError):
    """Input that breaks a documented rule (bad field, bad value)."""


class ConfigurationError(WaError):
    """Settings that cannot work (bad URL, unreachable server, missing schema)."""

"""Errors the engine raises."""


class InvalidInput(ValueError):
    """The facts given to the engine are not valid input.

    `field` is the path of the offending field ("invasiveness", "members[2].sex",
    "foreign_recipients[0].country", or "input" for the whole document);
    `message` starts with that path, so it can be shown as is."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.message = f"{field}: {problem}"
        super().__init__(self.message)


class RulebookError(RuntimeError):
    """A rulebook data file is missing or malformed: a deployment fault, not bad input."""

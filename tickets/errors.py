class DomainError(Exception):
    """A business rule said no. Translated at the edge: API -> 400 with reasons, pages -> form error.

    `errors` maps a field name (or "non_field_errors") to a list of messages.
    """

    def __init__(self, message: str, *, field: str = "non_field_errors", errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {field: [message]}

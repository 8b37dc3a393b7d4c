class AppError(Exception):
    """A failure a person should read: rendered as `{"detail": ...}` with its status code."""

    def __init__(self, status_code: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = headers


class Invalid(AppError):
    """A 422 shaped like FastAPI's own validation errors, so every 422 reads the same way."""

    def __init__(self, loc: tuple[str, ...], msg: str) -> None:
        super().__init__(422, msg)
        self.errors = [{"type": "value_error", "loc": list(loc), "msg": msg}]


class NotFound(AppError):
    def __init__(self, what: str = "Not found") -> None:
        super().__init__(404, what)


class Unauthorized(AppError):
    """No live session: a missing, bad, expired or logged-out token, or a disabled or deleted account."""

    def __init__(self, detail: str = "Not authenticated") -> None:
        super().__init__(401, detail, {"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    """A member (or account) without the right: the only 403 (app.access.check_role)."""

    def __init__(self, detail: str) -> None:
        super().__init__(403, detail)

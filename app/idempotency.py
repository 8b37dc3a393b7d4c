"""Idempotency-Key: the retry of a create whose answer was lost gets the first answer and writes nothing.

A route marked `@idempotent` takes the header (1-255 visible ASCII characters). With it, the
request runs in one transaction that this module opens and commits, holding three things:
- the key's claim, a row unique per account (`idempotency_keys`), inserted before the route's work;
- the route's own work: its services' `session.commit()` and `rollback()` become a savepoint's
  release and rollback (SQLAlchemy's join_transaction_mode="create_savepoint");
- the answer (status, the headers the route set, the body), written into the claim's row.
So a crash anywhere leaves all three or none, and a committed claim always has its answer. A
repeat's claim waits for the first request's commit (PostgreSQL on the unique index entry, SQLite
on its one write lock), then finds the row: the same request (method, path, query and body) gets
the stored answer, with nothing written; another request under the same key is a 422 naming the
header. A failed request rolls its claim back, so the corrected retry may use the key. Keys are
kept 24 hours: an older one is taken afresh, and expired rows are deleted now and then by a claim.

An answer may hold a secret shown once (an invitation's token, a reset link), which the database
otherwise keeps only hashed. So the row keeps the key's SHA-256, not the key; the request's
fingerprint is an HMAC; and the answer is sealed (AES-GCM) under a key made from both the server's
SECRET_KEY and the client's Idempotency-Key: a copy of the database opens no answer without the
secret, nor with it unless the client's key can be guessed (a UUID cannot).

The caller is the one the route's own dependency resolved (its `LedgerAccess` or `User`
parameter): nothing here reads a token or decides access, and a refused request never claims.
"""

import hashlib
import hmac
import inspect
import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, wraps
from typing import Annotated, Any, TypeVar, cast, get_args, get_origin, get_type_hints, overload

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Depends, Header, Request, Response
from pydantic import AfterValidator, TypeAdapter, WithJsonSchema
from sqlalchemy import Engine, Table, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from starlette.responses import StreamingResponse

from app.auth import LedgerAccess
from app.config import settings
from app.errors import Invalid
from app.models import IdempotencyKey, User, utcnow

HEADER = "Idempotency-Key"
KEPT_FOR = timedelta(hours=24)
# Expired rows are harmless (a claim takes an expired key afresh), so deleting them is only upkeep.
PURGE_EVERY = 3600.0  # seconds, per process
REPLAYED = "Idempotent-Replayed"  # "true" on a stored answer sent again

_VISIBLE_ASCII = re.compile(r"[!-~]{1,255}")
KEYS = cast(Table, IdempotencyKey.__table__)


def _visible_ascii(value: str) -> str:
    if not _VISIBLE_ASCII.fullmatch(value):
        raise ValueError(f"{HEADER} must be 1 to 255 visible ASCII characters (no spaces), such as a UUID")
    return value


Key = Annotated[
    str,
    AfterValidator(_visible_ascii),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}),
]
KEY_DESCRIPTION = (
    "Any unique value per create (a UUID). A repeat with the same key and the same request within "
    "24 hours answers the first answer (with `Idempotent-Replayed: true`) and writes nothing; the "
    "same key with another request is 422. Only a successful answer keeps the key."
)


@dataclass(frozen=True)
class KeyedRequest:
    """A request that came with a key: the key, what the request was, and how its route answers."""

    key: str
    digest: bytes  # SHA-256 of method, path, query and body
    status_code: int  # the route's
    response_model: Any


def _feed(digest: Any, data: bytes) -> None:
    digest.update(len(data).to_bytes(8, "big") + data)  # length first: parts cannot run together


async def keyed_request(
    request: Request, key: Annotated[Key | None, Header(alias=HEADER, description=KEY_DESCRIPTION)] = None
) -> KeyedRequest | None:
    """The request's key with its fingerprint; None without the header."""
    if key is None:
        return None
    digest = hashlib.sha256()
    _feed(digest, request.method.encode())
    _feed(digest, request.scope.get("raw_path") or request.url.path.encode())
    _feed(digest, request.scope.get("query_string", b""))
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        # The fields as parsed (already, by the route): a browser draws a new multipart boundary
        # for every send, so the same form is other bytes each time.
        for name, value in (await request.form()).multi_items():
            _feed(digest, name.encode("utf-8", "surrogatepass"))
            if isinstance(value, str):
                _feed(digest, value.encode("utf-8", "surrogatepass"))
                continue
            _feed(digest, (value.filename or "").encode("utf-8", "surrogatepass"))
            content = hashlib.sha256()
            while chunk := await value.read(1 << 16):
                content.update(chunk)
            await value.seek(0)  # the route reads it next
            _feed(digest, content.digest())
    else:
        _feed(digest, await request.body())
    route = request.scope["route"]
    return KeyedRequest(
        key=key,
        digest=digest.digest(),
        status_code=route.status_code or 200,
        response_model=route.response_model,
    )


F = TypeVar("F", bound=Callable[..., Any])


@overload
def idempotent(endpoint: F, /) -> F: ...
@overload
def idempotent(*, unless: Callable[[dict[str, Any]], bool]) -> Callable[[F], F]: ...
def idempotent(
    endpoint: F | None = None, /, *, unless: Callable[[dict[str, Any]], bool] | None = None
) -> F | Callable[[F], F]:
    """Mark a create route: it takes an Idempotency-Key (this module's docstring).

    The route needs a `Session` parameter and one for its caller (`LedgerAccess` or `User`).
    `unless(params)`, given the route's parameters, says the request writes nothing (an import's
    dry run): it is then answered afresh, and its key is neither looked up nor kept.
    """

    def mark(endpoint: F) -> F:
        names = _parameters(endpoint)
        signature = inspect.signature(endpoint)
        added = [
            inspect.Parameter(
                "idempotency_key_",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[KeyedRequest | None, Depends(keyed_request)],
            )
        ]
        # The response a route may set its status and headers on (set_budget's 200): FastAPI hands
        # it to one parameter only, the route's own if it has one.
        if Response not in names:
            names[Response] = "idempotency_response_"
            added.append(
                inspect.Parameter(names[Response], inspect.Parameter.KEYWORD_ONLY, annotation=Response)
            )

        @wraps(endpoint)
        def route(*, idempotency_key_: KeyedRequest | None, **params: Any) -> Any:
            response = params[names[Response]]
            params.pop("idempotency_response_", None)
            if idempotency_key_ is None or (unless is not None and unless(params)):
                return endpoint(**params)
            caller = params[names[User]]
            return _once(
                lambda: endpoint(**params),
                session=params[names[Session]],
                user_id=caller.user_id if isinstance(caller, LedgerAccess) else caller.id,
                keyed=idempotency_key_,
                response=response,
            )

        route.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*signature.parameters.values(), *added]
        )
        return cast(F, route)

    return mark(endpoint) if endpoint is not None else mark


def _parameters(endpoint: Callable[..., Any]) -> dict[type, str]:
    """The names of the route's Session, caller (under User) and Response parameters; TypeError at
    import without the first two."""
    names: dict[type, str] = {}
    for name, hint in get_type_hints(endpoint, include_extras=True).items():
        kind = get_args(hint)[0] if get_origin(hint) is Annotated else hint
        kind = User if kind is LedgerAccess else kind
        if kind in (Session, User, Response):
            names.setdefault(kind, name)
    if Session not in names or User not in names:
        raise TypeError(f"{endpoint.__name__}: an idempotent route needs a Session and its caller")
    return names


def _once(
    work: Callable[[], Any], *, session: Session, user_id: int, keyed: KeyedRequest, response: Response
) -> Response:
    """Run the route's work once per key: claim, work and answer in one transaction."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    # The caller's access was read in a transaction of its own, which wrote nothing: end it, so the
    # work runs in the claim's transaction. Its objects stay usable (expire_on_commit=False).
    session.commit()
    _purge_now_and_then(engine)
    fingerprint = hmac.new(_secret(user_id, keyed.key, b"request"), keyed.digest, hashlib.sha256).hexdigest()
    with engine.connect() as connection:  # closing it rolls back whatever was not committed
        transaction = connection.begin()
        now = utcnow()
        key_hash = hashlib.sha256(keyed.key.encode()).hexdigest()
        params = {"account": user_id, "key_sha256": key_hash, "request": fingerprint, "now": now}
        # The claim is the transaction's first statement, so on SQLite (whose driver begins a
        # transaction only before a write) the savepoints below are inside it, not on their own.
        claimed = connection.execute(_CLAIM[engine.dialect.name], params | {"expired": now - KEPT_FOR})
        if claimed.first() is None:
            stored = connection.execute(_STORED, params).one()
            transaction.rollback()  # wrote nothing; lets go of the lock the claim took
            if stored.fingerprint != fingerprint:
                raise Invalid(
                    ("header", HEADER),
                    f"This {HEADER} was used for another request; send a new key with a new request",
                )
            assert stored.answer is not None  # committed with its claim, always
            return _replay(stored.answer, _secret(user_id, keyed.key, b"answer"))
        mode = session.join_transaction_mode
        session.bind, session.join_transaction_mode = connection, "create_savepoint"
        try:
            answer = _answer(work(), keyed, response)
        finally:
            session.close()  # rolls back a savepoint the work left open, as a request's end would
            session.bind, session.join_transaction_mode = engine, mode
        sealed = _seal(answer, _secret(user_id, keyed.key, b"answer"))
        connection.execute(_KEEP, params | {"sealed": sealed})
        transaction.commit()
    return answer


def _secret(user_id: int, key: str, purpose: bytes) -> bytes:
    """A key that only the server (its SECRET_KEY) and the client (its Idempotency-Key) can make."""
    message = b"idempotency %s\0%d\0%s" % (purpose, user_id, key.encode())
    return hmac.new(settings.resolved_secret_key.encode(), message, hashlib.sha256).digest()


def _seal(answer: Response, secret: bytes) -> bytes:
    """The answer's status, headers and body, encrypted and authenticated: nonce, then ciphertext."""
    headers = [
        [name.decode("latin-1"), value.decode("latin-1")]
        for name, value in answer.raw_headers
        if name != b"content-length"  # the replay's Response counts its body itself
    ]
    head = json.dumps({"status": answer.status_code, "headers": headers}).encode()
    nonce = os.urandom(12)
    return nonce + AESGCM(secret).encrypt(nonce, head + b"\n" + bytes(answer.body), None)


def _answer(value: Any, keyed: KeyedRequest, response: Response) -> Response:
    """The answer FastAPI would send for the route's return value, made here so it can be stored
    before the commit: the route's response model as JSON, its status, and the headers it set."""
    if isinstance(value, Response):
        if isinstance(value, StreamingResponse):
            raise TypeError("An idempotent route cannot stream its answer: it is stored")
        return value
    adapter = _adapter(keyed.response_model)
    body = adapter.dump_json(adapter.validate_python(value, from_attributes=True), by_alias=True)
    answer = Response(
        body, status_code=response.status_code or keyed.status_code, media_type="application/json"
    )
    answer.raw_headers.extend(response.headers.raw)
    return answer


@cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model if model is not None else Any)


def _replay(sealed: bytes, secret: bytes) -> Response:
    """The sealed answer, opened, as it was sent the first time."""
    head, _, body = AESGCM(secret).decrypt(sealed[:12], sealed[12:], None).partition(b"\n")
    stored = json.loads(head)
    answer = Response(body, status_code=stored["status"])
    answer.raw_headers.extend(
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in stored["headers"]
    )
    answer.raw_headers.append((REPLAYED.lower().encode(), b"true"))
    return answer


def _claim_statement(dialect_insert: Callable[..., Any]) -> Any:
    """Insert the key's row, or take over an expired one: RETURNING names a claim that is ours."""
    insert = dialect_insert(KEYS).values(
        user_id=bindparam("account"),
        key_hash=bindparam("key_sha256"),
        fingerprint=bindparam("request"),
        created_at=bindparam("now"),
    )
    fresh = {"fingerprint": insert.excluded.fingerprint, "created_at": insert.excluded.created_at}
    return insert.on_conflict_do_update(
        index_elements=[KEYS.c.user_id, KEYS.c.key_hash],
        set_={**fresh, "answer": None},
        where=KEYS.c.created_at < bindparam("expired"),
    ).returning(KEYS.c.user_id)


# Built once: only their parameters change.
_CLAIM = {"postgresql": _claim_statement(postgresql.insert), "sqlite": _claim_statement(sqlite.insert)}
_THIS_KEY = (KEYS.c.user_id == bindparam("account")) & (KEYS.c.key_hash == bindparam("key_sha256"))
_STORED = select(KEYS.c.fingerprint, KEYS.c.answer).where(_THIS_KEY)
_KEEP = update(KEYS).where(_THIS_KEY).values(answer=bindparam("sealed"))
_PURGE = delete(KEYS).where(KEYS.c.created_at < bindparam("expired"))


class _Purge:
    """When this process last deleted expired keys: at most once every PURGE_EVERY seconds."""

    lock = threading.Lock()
    due = 0.0  # time.monotonic() from which the next claim purges


def _purge_now_and_then(engine: Engine) -> None:
    if time.monotonic() < _Purge.due or not _Purge.lock.acquire(blocking=False):
        return
    try:
        _Purge.due = time.monotonic() + PURGE_EVERY
        # A transaction of its own, before the claim's: it locks no row the claim's work holds.
        with engine.begin() as connection:
            connection.execute(_PURGE, {"expired": utcnow() - KEPT_FOR})
    finally:
        _Purge.lock.release()

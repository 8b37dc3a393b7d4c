"""PostgreSQL's trigram indexes (app.models.SEARCH_DDL): their pending lists merged after a write of
many rows.

With `fastupdate = on` new rows go into each GIN index's pending list, a cheap append, instead of
into the index itself row by row (about 2,000 rows/s at most for an import with it off). A search
reads the pending list through as well, so it stays exact, but the list costs it time as it grows
(up to gin_pending_list_limit, 4 MB by default, when the insert that fills it merges it). So the
one writer merges both lists at the end of a write of many rows, in that write's transaction; a few
rows (one POST) are left to the next large write, autovacuum or that limit.

`gin_clean_pending_list` is allowed to the index's owner only (as VACUUM is): the app's database
user owns what its migrations made. If another role made them, the rows stay pending (searches
still exact), and the server's log says what to change; the write goes on.
"""

import logging

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.models import TRIGRAM_INDEXES

# Writes of fewer rows leave them pending. Measured (bench/RESULTS.md, session 9): one row's insert
# took 0.2-0.35 ms left pending, 0.5 ms + 1-1.3 ms to merge it (0.9 ms with fastupdate off), and a
# rare word's search at 100,000 rows 1.0 ms with nothing pending, 2.0 with 100 rows, 3.1 with 1,000.
MERGE_AFTER_ROWS = 100

# One statement for all: the ones this role may clean, cleaned; the others named (NULL).
_MERGE = text(
    "SELECT name, CASE WHEN pg_has_role(c.relowner, 'USAGE') THEN gin_clean_pending_list(c.oid) END"
    " FROM unnest(CAST(:names AS text[])) AS name JOIN pg_class AS c ON c.oid = to_regclass(name)"
).bindparams(names=list(TRIGRAM_INDEXES))


def merge_pending(session: Session) -> None:
    """After many new expenses (MERGE_AFTER_ROWS or more) went in: on PostgreSQL, move both trigram
    indexes' pending lists into the indexes, in the caller's transaction."""
    if session.get_bind().dialect.name != "postgresql":
        return
    not_owned = [name for name, merged in session.execute(_MERGE) if merged is None]
    if not_owned:
        logging.getLogger("app.search").warning(
            "The app's database user does not own %s, so new expenses stay in their pending lists until"
            " autovacuum (searches stay exact, but slower): make it the owner (ALTER INDEX ... OWNER TO)",
            ", ".join(not_owned),
        )

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import TypeAdapter, ValidationError

from app.auth import CallersLedgers, Editor, Reader, get_current_user, get_ledger_access
from app.config import settings
from app.errors import Invalid
from app.idempotency import idempotent
from app.money import to_number
from app.revalidation import REVALIDATED, TAG_HEADERS, revalidated
from app.routers import IN_LEDGER, SessionDep, in_thread, not_found
from app.schemas.expenses import (
    ExpenseIn,
    ExpenseOut,
    ExpensePage,
    ExpenseUpdate,
    ImportErrorOut,
    ImportMapping,
    ImportOut,
    ImportRowOut,
    Split,
    SplitIn,
)
from app.schemas.forms import ImportForm
from app.services import expenses, export, imports, listing
from app.services.listing import ExpenseFilter
from app.types import Category, Cursor, Day, SearchText, parse_cursor

router = APIRouter(prefix="/expenses", tags=["expenses"], dependencies=[Depends(get_ledger_access)])
# Without these, PATCH or DELETE on the export or the import would reach /{expense_id} as a bad id
# (422): 405 instead, whichever ledger the request names. Included before `router` (app.main).
wrong_methods = APIRouter(
    prefix="/expenses", dependencies=[Depends(get_current_user)], include_in_schema=False
)


@wrong_methods.api_route("/export.csv", methods=["POST", "PUT", "PATCH", "DELETE"])
def export_is_read_only() -> None:
    raise HTTPException(status.HTTP_405_METHOD_NOT_ALLOWED)


@wrong_methods.api_route("/import", methods=["GET", "PUT", "PATCH", "DELETE"])
def import_is_post_only() -> None:
    raise HTTPException(status.HTTP_405_METHOD_NOT_ALLOWED)


NOT_FOUND = not_found("expense")
# The writer refuses to move the balance of someone who has left the ledger (app.services.expenses).
CHANGED = {**NOT_FOUND, 409: {"description": "It would change the balance of someone who has left"}}


async def expense_filter(
    start: Annotated[Day | None, Query(description="First day, inclusive (YYYY-MM-DD)")] = None,
    end: Annotated[Day | None, Query(description="Last day, inclusive (YYYY-MM-DD)")] = None,
    category: Annotated[Category | None, Query(description="One category, in any case")] = None,
    q: Annotated[SearchText | None, Query(description="Text in the description or category")] = None,
) -> ExpenseFilter:
    if start is not None and end is not None and start > end:
        raise Invalid(("query", "start"), "start must be on or before end")
    return ExpenseFilter(start=start, end=end, category=category, q=q)


Filters = Annotated[ExpenseFilter, Depends(expense_filter)]


@router.post(
    "",
    response_model=ExpenseOut,
    status_code=status.HTTP_201_CREATED,
    responses={**IN_LEDGER, 409: {"description": "The ledger's currency changed meanwhile: try again"}},
)
@idempotent
def create_expense(session: SessionDep, access: Editor, data: ExpenseIn) -> ExpenseOut:
    """Record an expense."""
    return ExpenseOut.of(expenses.create_expense(session, access=access, data=data), access.currency)


@router.get(
    "",
    response_model=ExpensePage,
    responses={**IN_LEDGER, **REVALIDATED, 200: {"headers": TAG_HEADERS}},
)
async def list_expenses(
    session: SessionDep,
    access: Reader,
    request: Request,
    filters: Filters,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    cursor: Annotated[Cursor | None, Query(description="next_cursor of the previous page")] = None,
) -> Response:
    """Expenses newest first, one page, with the count and sum of every match."""

    def page() -> dict[str, Any]:  # the rows are dicts in ExpenseOut's shape and field order
        items, total, total_minor = listing.list_expenses(
            session,
            access=access,
            filters=filters,
            limit=limit,
            offset=offset,
            cursor=parse_cursor(cursor) if cursor else None,
        )
        last = items[-1] if len(items) == limit else None
        return {
            "items": items,
            "total": total,
            "total_amount": to_number(total_minor, access.currency),
            "limit": limit,
            "offset": offset,
            "next_cursor": f"{last['date'].isoformat()}:{last['id']}" if last else None,
        }

    return await revalidated(request, access, page)


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={**IN_LEDGER, 200: {"content": {"text/csv": {}}, "description": "CSV, streamed"}},
)
def export_expenses(session: SessionDep, access: Reader, filters: Filters) -> StreamingResponse:
    """Download the matching expenses as CSV (safe to open in a spreadsheet)."""
    filename = export.export_filename(filters)
    return StreamingResponse(
        export.export_csv(session, access=access, filters=filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


IMPORT_RESPONSES: dict[int | str, dict[str, object]] = {
    **IN_LEDGER,
    409: {"description": "The ledger's currency changed meanwhile: try again"},
    413: {"description": "The file is larger than 5 MB"},
    422: {
        "description": "A bad form field or mapping, an empty, binary or unreadable file, more than "
        "50,000 rows, or (unless a dry run) any row that cannot be imported: nothing was written"
    },
}


@router.post("/import", response_model=ImportOut, responses=IMPORT_RESPONSES)
@idempotent(unless=lambda params: params["form"].dry_run)  # a dry run writes nothing: never kept
def import_expenses(
    session: SessionDep,
    access: Editor,
    form: Annotated[ImportForm, Form(media_type="multipart/form-data")],
) -> ImportOut:
    """Import expenses from CSV, all or nothing; with dry_run, a preview of the rows and their errors."""
    mapping = _form_json("mapping", form.mapping, ImportMapping.model_validate_json)
    split = _form_json("split", form.split, _SPLIT.validate_json)
    if split is not None and any(part.shares is None for part in split):
        raise Invalid(
            ("body", "split"),
            "An import's split is by shares, as each row has its own amount: give shares, not amounts",
        )
    outcome = imports.import_csv(
        session,
        access=access,
        data=form.file.file.read(settings.max_import_bytes + 1),
        mapping=mapping,
        default_category=form.default_category,
        encoding=form.encoding,
        keep_duplicates=form.keep_duplicates,
        dry_run=form.dry_run,
        paid_by=form.paid_by,
        split=split,
    )
    errors = [ImportErrorOut(line=e.line, column=e.column, message=e.message) for e in outcome.errors]
    if errors and not form.dry_run:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise Invalid(("body", "file"), f"Nothing was imported: line {first.line} {first.message}{more}")
    return ImportOut(
        dry_run=form.dry_run,
        columns=outcome.columns,
        mapping=outcome.mapping,
        count=outcome.imported if not form.dry_run else outcome.count("ok"),
        imported=outcome.imported,
        skipped_duplicates=outcome.count("duplicate"),
        skipped_income=outcome.count("income"),
        errors=errors,
        rows=[
            ImportRowOut(
                line=row.line,
                status=row.status,
                date=row.day,
                category=row.category,
                amount=None
                if row.cents is None
                else to_number(abs(row.cents), row.currency or access.currency),
                currency=row.currency,
                base_amount=to_number(abs(row.price[3]), access.currency) if row.price else None,
                description=row.description,
                message=row.message,
                refund=row.cents is not None and row.cents < 0,
            )
            for row in outcome.rows[: imports.PREVIEW_ROWS]
        ]
        if form.dry_run
        else [],
    )


T = TypeVar("T")
_SPLIT: TypeAdapter[list[SplitIn]] = TypeAdapter(Split)


def _form_json(field: str, text: str | None, parse: Callable[[str], T]) -> T | None:
    """A form field holding JSON, parsed; a 422 naming the field (and where in it) otherwise."""
    if not text:
        return None
    try:
        return parse(text)
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error["msg"]).encode("utf-8", "replace").decode().removeprefix("Value error, ")
        where = ".".join(str(part) for part in error["loc"])
        raise Invalid(("body", field), f"{field} {where}: {message}" if where else message) from None


@router.get("/{expense_id}", response_model=ExpenseOut, responses=NOT_FOUND)
def read_expense(session: SessionDep, scope: CallersLedgers, expense_id: int) -> ExpenseOut:
    """One expense."""
    expense, access = expenses.get_expense(session, scope=scope, expense_id=expense_id)
    return ExpenseOut.of(expense, access.currency)


@router.patch("/{expense_id}", response_model=ExpenseOut, responses=CHANGED)
async def update_expense(
    session: SessionDep, scope: CallersLedgers, expense_id: int, data: ExpenseUpdate
) -> ExpenseOut:
    """Change some fields of an expense."""

    def update() -> ExpenseOut:
        expense, access = expenses.update_expense(session, scope=scope, expense_id=expense_id, data=data)
        return ExpenseOut.of(expense, access.currency)

    return await in_thread(update)


@router.delete("/{expense_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CHANGED)
def delete_expense(session: SessionDep, scope: CallersLedgers, expense_id: int) -> Response:
    """Delete an expense."""
    expenses.delete_expense(session, scope=scope, expense_id=expense_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

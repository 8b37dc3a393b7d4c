"""Books that always balance, on the page: who paid on each row, Paid by and Split back to me and
equal after an add, Settle up with a partial amount and the Settlements history, joining through a
link only after a look at it, the owner's open links, an import into a shared ledger, and a retried
create that reuses its Idempotency-Key."""

import re
from typing import Any

from playwright.sync_api import Browser, FilePayload, Page, Request, Route, expect

from tests.e2e.test_ui_layout import no_sideways_scroll, serious
from tests.e2e.test_ui_ledgers import log_in_as, second_page, shared_ledger
from tests.e2e.ui import User, api_errors, app_date, controlled, expense_rows, log_in, register
from tests.factories import PASSWORD


def join(page: Page, base: str, owner: User, member: User, ledger: dict[str, Any], role: str) -> None:
    """`member` joins `owner`'s `ledger` with `role`, through the API."""
    invited = page.request.post(
        f"{base}/api/ledgers/{ledger['id']}/invitations", data={"role": role}, headers=owner.headers
    )
    assert invited.status == 201, invited.text()
    joined = page.request.post(
        base + "/api/ledgers/join", data={"token": invited.json()["token"]}, headers=member.headers
    )
    assert joined.status == 200, joined.text()


def user_id(page: Page, base: str, user: User) -> int:
    me = page.request.get(base + "/api/me", headers=user.headers)
    assert me.status == 200, me.text()
    number: int = me.json()["id"]
    return number


def add_in(page: Page, base: str, user: User, ledger: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {
        "date": app_date().isoformat(),
        "category": "Food",
        "amount": "10.00",
        "description": "",
        **fields,
    }
    added = page.request.post(f"{base}/api/expenses?ledger={ledger['id']}", data=body, headers=user.headers)
    assert added.status == 201, added.text()
    expense: dict[str, Any] = added.json()
    return expense


def test_each_row_says_who_paid_and_a_split_that_is_not_equal(
    page: Page, live_server: str, browser: Browser, console_errors: list[str]
) -> None:
    ann = register(page, live_server, display_name="Ann")
    bob = register(page, live_server, display_name="Bob")
    cy = register(page, live_server, display_name="Cy")
    ledger = shared_ledger(page, live_server, ann, bob, "editor")
    join(page, live_server, ann, cy, ledger, "editor")
    a, b, c = (user_id(page, live_server, u) for u in (ann, bob, cy))
    add_in(page, live_server, ann, ledger, category="Bread", amount="3.00")
    add_in(
        page,
        live_server,
        bob,
        ledger,
        category="Rent",
        amount="1000.00",
        paid_by=b,
        split=[{"user_id": a, "shares": 3}, {"user_id": b, "shares": 2}],
    )
    add_in(
        page,
        live_server,
        ann,
        ledger,
        category="Tickets",
        amount="30.00",
        paid_by=c,
        split=[
            {"user_id": a, "amount": "10.00"},
            {"user_id": b, "amount": "15.50"},
            {"user_id": c, "amount": "4.50"},
        ],
    )

    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, ann, f"/#/l/{ledger['id']}")
    rows = expense_rows(page)
    expect(rows).to_have_count(3)
    # Equal among everyone is the usual case: only who paid.
    expect(rows.filter(has_text="Bread")).to_contain_text("Ann paid")
    expect(rows.filter(has_text="Bread")).not_to_contain_text("%")
    # 60/40, each number with its member's name, so it cannot be read the wrong way round.
    expect(rows.filter(has_text="Rent")).to_contain_text("Bob paid · Ann 60%, Bob 40%")
    expect(rows.filter(has_text="Tickets")).to_contain_text("Cy paid · Ann $10.00, Bob $15.50, Cy $4.50")
    assert no_sideways_scroll(page)
    assert serious(page) == []
    assert console_errors == []


def test_paid_by_and_split_return_to_me_and_equal_after_each_add(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    ann = register(page, live_server, display_name="Ann")
    bob = register(page, live_server, display_name="Bob")
    ledger = shared_ledger(page, live_server, ann, bob, "editor")
    log_in(page, live_server, ann, f"/#/l/{ledger['id']}")
    expect(page.get_by_label("Paid by").locator("option:checked")).to_have_text("Ann")
    expect(page.get_by_label("How to split")).to_have_value("equal")

    page.get_by_label("Category", exact=True).fill("Groceries")
    page.get_by_label("Amount", exact=True).fill("50.00")
    page.get_by_label("Paid by").select_option(label="Bob")
    page.get_by_label("How to split").select_option("shares")
    page.get_by_label("Ann: shares").fill("3")
    page.get_by_label("Bob: shares").fill("2")
    page.get_by_role("button", name="Add expense").click()
    expect(expense_rows(page)).to_have_count(1)
    expect(expense_rows(page)).to_contain_text("Bob paid · Ann 60%, Bob 40%")
    # What was saved is said, and the next one starts from me and equal: nothing is carried silently.
    expect(page.get_by_role("status").filter(has_text="Added: Bob paid · Ann 60%, Bob 40%")).to_contain_text(
        "Paid by and Split are back to you and equal."
    )
    expect(page.get_by_label("Paid by").locator("option:checked")).to_have_text("Ann")
    expect(page.get_by_label("How to split")).to_have_value("equal")
    expect(page.get_by_label("Ann: shares")).to_be_hidden()

    # The next add, with nothing chosen, is Ann's and equal.
    page.get_by_label("Amount", exact=True).fill("8.00")
    page.get_by_role("button", name="Add expense").click()
    expect(expense_rows(page)).to_have_count(2)
    balances = page.get_by_role("list", name="Balances")
    # Ann: paid 8, bears 30 + 4 = 34 -> -26.00; Bob: paid 50, bears 20 + 4 -> +26.00.
    expect(balances.get_by_role("listitem").filter(has_text="Ann")).to_contain_text("-$26.00")
    expect(balances.get_by_role("listitem").filter(has_text="Bob")).to_contain_text("$26.00")
    assert console_errors == []


def test_settle_up_a_partial_amount_then_delete_it_from_the_history_and_undo(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    ann = register(page, live_server, display_name="Ann")
    bob = register(page, live_server, display_name="Bob")
    ledger = shared_ledger(page, live_server, ann, bob, "editor")
    add_in(page, live_server, ann, ledger, category="Rent", amount="100.00")
    log_in(page, live_server, bob, f"/#/l/{ledger['id']}")
    panel = page.get_by_role("region", name="Balances")
    expect(panel.get_by_text("No payments recorded yet.")).to_be_visible()

    panel.get_by_role("button", name=re.compile("^Settle up: Bob pays Ann")).click()
    dialog = page.get_by_role("dialog", name="Settle up")
    expect(dialog.get_by_text("Bob pays Ann")).to_be_visible()
    expect(dialog.get_by_label("Amount")).to_have_value("50.00")
    expect(dialog.get_by_label("Date")).to_have_value(app_date().isoformat())
    assert serious(page) == []
    # Cancel records nothing.
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(panel.get_by_text("No payments recorded yet.")).to_be_visible()

    panel.get_by_role("button", name=re.compile("^Settle up: Bob pays Ann")).click()
    dialog.get_by_label("Amount").fill("20")
    dialog.get_by_label("Note").fill("Bank transfer")
    dialog.get_by_role("button", name="Record payment").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("Recorded: Bob paid Ann $20.00.")).to_be_visible()
    history = page.get_by_role("list", name="Settlements")
    expect(history.get_by_role("listitem")).to_have_count(1)
    expect(history.get_by_role("listitem")).to_contain_text("Bob paid Ann")
    expect(history.get_by_role("listitem")).to_contain_text("$20.00")
    expect(history.get_by_role("listitem")).to_contain_text("Bank transfer")
    # A partial payment leaves the rest to settle.
    expect(panel.get_by_text("Bob pays Ann $30.00")).to_be_visible()

    # Undo right after recording deletes it again.
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Payment removed.")).to_be_visible()
    expect(history.get_by_role("listitem")).to_have_count(0)
    expect(panel.get_by_text("Bob pays Ann $50.00")).to_be_visible()

    panel.get_by_role("button", name=re.compile("^Settle up: Bob pays Ann")).click()
    dialog.get_by_label("Amount").fill("20.00")
    dialog.get_by_role("button", name="Record payment").click()
    expect(history.get_by_role("listitem")).to_have_count(1)
    expect(panel.get_by_text("Bob pays Ann $30.00")).to_be_visible()
    # Deleted from the history, then Undo records it again as it was.
    history.get_by_role("button", name=re.compile("^Delete: Bob paid Ann \\$20.00")).click()
    expect(history.get_by_role("listitem")).to_have_count(0)
    expect(panel.get_by_text("Bob pays Ann $50.00")).to_be_visible()
    page.get_by_role("button", name="Undo").click()
    expect(history.get_by_role("listitem")).to_have_count(1)
    expect(history.get_by_role("listitem")).to_contain_text("$20.00")
    expect(panel.get_by_text("Bob pays Ann $30.00")).to_be_visible()
    listed = page.request.get(f"{live_server}/api/ledgers/{ledger['id']}/settlements", headers=bob.headers)
    assert [(s["amount"], s["date"]) for s in listed.json()] == [(20, app_date().isoformat())]
    assert serious(page) == []
    assert console_errors == []


def test_a_viewer_sees_the_settlements_but_no_control_that_changes_them(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    ann = register(page, live_server, display_name="Ann")
    vic = register(page, live_server, display_name="Vic")
    bob = register(page, live_server, display_name="Bob")
    ledger = shared_ledger(page, live_server, ann, bob, "editor")
    join(page, live_server, ann, vic, ledger, "viewer")
    add_in(page, live_server, ann, ledger, amount="40.00")
    a, b = user_id(page, live_server, ann), user_id(page, live_server, bob)
    for n in range(1, 7):
        paid = page.request.post(
            f"{live_server}/api/ledgers/{ledger['id']}/settlements",
            data={
                "from_user_id": b,
                "to_user_id": a,
                "amount": f"{n}.00",
                "date": app_date().isoformat(),
                "note": f"Cash {n}",
            },
            headers=bob.headers,
        )
        assert paid.status == 201, paid.text()
    log_in_as(page, live_server, vic, f"/#/l/{ledger['id']}")
    history = page.get_by_role("list", name="Settlements").get_by_role("listitem")
    # The newest five, then all of them on request.
    expect(history).to_have_count(5)
    expect(history.first).to_contain_text("Bob paid Ann")
    expect(history.first).to_contain_text("Cash 6")
    page.get_by_role("button", name="Show all 6 settlements").click()
    expect(history).to_have_count(6)
    expect(history.last).to_contain_text("$1.00")
    expect(page.get_by_role("button", name=re.compile("^Delete"))).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Settle up"))).to_have_count(0)
    assert console_errors == []


def test_joining_through_a_link_looks_first_and_asks(
    page: Page, live_server: str, browser: Browser, console_errors: list[str]
) -> None:
    ann = register(page, live_server, display_name="Ann")
    made = page.request.post(live_server + "/api/ledgers", data={"name": "Flat"}, headers=ann.headers)
    assert made.status == 201, made.text()
    ledger = made.json()
    links = [
        page.request.post(
            f"{live_server}/api/ledgers/{ledger['id']}/invitations",
            data={"role": "editor"},
            headers=ann.headers,
        ).json()
        for _ in range(2)
    ]
    bob_page = second_page(browser)
    bob = register(bob_page, live_server, display_name="Bob")
    bob_errors: list[str] = []
    bob_page.on("console", lambda msg: bob_errors.append(msg.text) if msg.type == "error" else None)

    # Not now: nothing joined, the dashboard stays on Bob's own ledger.
    url = links[0]["url"]
    bob_page.goto(live_server + "/" + url[url.index("#") :])
    expect(bob_page.get_by_text("Log in to join the shared ledger.")).to_be_visible()
    bob_page.get_by_label("Email").fill(bob.email)
    bob_page.get_by_label("Password").fill(PASSWORD)
    bob_page.get_by_role("button", name="Log in").click()
    ask = bob_page.get_by_role("dialog", name="Join a shared ledger?")
    expect(ask).to_contain_text("Flat")
    expect(ask).to_contain_text("Ann")
    expect(ask).to_contain_text("Editor")
    assert serious(bob_page) == []
    ask.get_by_role("button", name="Not now").click()
    expect(ask).to_be_hidden()
    expect(bob_page.get_by_label("Ledger", exact=True).locator("option")).to_have_text(
        ["Personal", "New ledger…"]
    )
    assert "join" not in bob_page.url
    members = page.request.get(f"{live_server}/api/ledgers/{ledger['id']}", headers=ann.headers).json()[
        "members"
    ]
    assert [m["display_name"] for m in members] == ["Ann"]

    # Join: the ledger opens, joined.
    bob_page.goto(live_server + "/" + url[url.index("#") :])
    with bob_page.expect_request(lambda r: r.url.endswith("/api/ledgers/join")) as joining:
        ask.get_by_role("button", name="Join").click()
    expect(bob_page.get_by_text("You joined Flat.")).to_be_visible()
    # A join's lost answer, retried, is answered again rather than refused as a spent link.
    assert joining.value.header_value("Idempotency-Key")
    expect(bob_page.get_by_label("Ledger", exact=True).locator("option:checked")).to_have_text("Flat")

    # A spent link (the second one, revoked by Ann) says so and joins nothing.
    listed = page.request.get(f"{live_server}/api/ledgers/{ledger['id']}/invitations", headers=ann.headers)
    assert listed.status == 200, listed.text()
    for link in listed.json():
        page.request.delete(
            f"{live_server}/api/ledgers/{ledger['id']}/invitations/{link['id']}", headers=ann.headers
        )
    url = links[1]["url"]
    bob_page.goto(live_server + "/" + url[url.index("#") :])
    spent = bob_page.get_by_role("dialog", name="Invitation link not valid")
    expect(spent).to_contain_text("it was used already, it expired, or it was revoked")
    spent.get_by_role("button", name="OK").click()
    expect(spent).to_be_hidden()
    assert api_errors(bob_errors, 404) == []
    assert console_errors == []


def test_the_owner_lists_open_links_and_revokes_one(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    ann = register(page, live_server, display_name="Ann")
    made = page.request.post(live_server + "/api/ledgers", data={"name": "Flat"}, headers=ann.headers)
    ledger = made.json()
    log_in(page, live_server, ann, f"/#/l/{ledger['id']}")
    page.get_by_role("button", name="Manage ledger").click()
    settings = page.get_by_role("dialog", name="Ledger settings")
    expect(settings.get_by_text("No open links.")).to_be_visible()
    settings.get_by_label("Invite as").select_option("viewer")
    settings.get_by_role("button", name="Create invitation link").click()
    link = settings.get_by_label("Invitation link", exact=True)
    expect(link).to_have_value(re.compile("#/join/"))
    token = link.input_value().rsplit("/", 1)[1]
    links = settings.get_by_role("list", name="Open invitation links").get_by_role("listitem")
    expect(links).to_have_count(1)
    expect(links).to_contain_text("Viewer link")
    expect(links).to_contain_text("Ann")
    assert serious(page) == []
    settings.get_by_role("button", name=re.compile("^Revoke the viewer link")).click()
    expect(links).to_have_count(0)
    expect(settings.get_by_text("No open links.")).to_be_visible()
    looked = page.request.get(f"{live_server}/api/ledgers/invitations/{token}", headers=ann.headers)
    assert looked.status == 404
    assert console_errors == []


def test_import_into_a_shared_ledger_and_see_the_balances(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    ann = register(page, live_server, display_name="Ann")
    bob = register(page, live_server, display_name="Bob")
    ledger = shared_ledger(page, live_server, ann, bob, "editor")
    log_in(page, live_server, ann, f"/#/l/{ledger['id']}")
    page.get_by_role("button", name="Import CSV").click()
    dialog = page.get_by_role("dialog", name="Import CSV")
    day = app_date().isoformat()
    content = f"date,category,amount,description\n{day},Food,30.00,Market\n{day},Fuel,20.00,Car\n"
    payload: FilePayload = {"name": "shared.csv", "mimeType": "text/csv", "buffer": content.encode()}
    dialog.get_by_label("CSV file").set_input_files(files=[payload])
    expect(dialog).to_contain_text("2 expenses to import.")
    # Default: paid by me, split equally; here Bob paid the file, 3 shares to Ann and 2 to Bob.
    expect(dialog.get_by_label("Paid by").locator("option:checked")).to_have_text("Ann")
    expect(dialog.get_by_label("How to split")).to_have_value("equal")
    expect(dialog.get_by_label("How to split").locator("option")).to_have_count(
        2
    )  # no exact amounts for a file
    dialog.get_by_label("Paid by").select_option(label="Bob")
    dialog.get_by_label("How to split").select_option("shares")
    dialog.get_by_label("Ann: shares").fill("3")
    dialog.get_by_label("Bob: shares").fill("2")
    dialog.get_by_label("Bob: shares").press("Tab")
    expect(dialog).to_contain_text("2 expenses to import.")
    assert serious(page) == []
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(expense_rows(page)).to_have_count(2)
    expect(expense_rows(page).filter(has_text="Market")).to_contain_text("Bob paid · Ann 60%, Bob 40%")
    balances = page.get_by_role("list", name="Balances")
    # Bob paid 50.00, Ann bears 30.00 of it.
    expect(balances.get_by_role("listitem").filter(has_text="Ann")).to_contain_text("-$30.00")
    expect(balances.get_by_role("listitem").filter(has_text="Bob")).to_contain_text("$30.00")
    assert console_errors == []


def test_the_resend_of_a_create_whose_answer_was_lost_sends_the_same_key_and_stores_one_expense(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    ann = register(page, live_server, display_name="Ann")
    log_in(page, live_server, ann)
    controlled(page)  # the worker in charge first: taking over later, it sends the POST past the route
    keys: list[str | None] = []
    answered: list[int] = []

    def lose_the_first_answer(route: Route, request: Request) -> None:
        if request.method != "POST":
            route.continue_()
            return
        keys.append(request.header_value("Idempotency-Key"))
        response = route.fetch()  # the server has the expense...
        answered.append(response.status)
        if len(keys) == 1:
            route.abort("connectionreset")  # ...but the page never hears of it
        else:
            route.fulfill(response=response)

    page.route(re.compile(r"/api/expenses(\?.*)?$"), lose_the_first_answer)
    page.get_by_label("Category", exact=True).fill("Food")
    page.get_by_label("Amount", exact=True).fill("12.50")
    page.get_by_label("Description").fill("Lunch")
    page.get_by_role("button", name="Add expense").click()
    # No answer: the add is kept on this device (js/queue.js) and sent again, by itself, once the
    # server answers the page's next check.
    expect(page.get_by_role("status").filter(has_text="kept on this device")).to_be_visible()
    expect(page.get_by_label("Amount", exact=True)).to_have_value("")
    # Wait for the resend itself: the list alone may show the expense sooner, as the page's next
    # refresh reads it from the server (CI, on a loaded machine).
    for _ in range(100):
        if len(keys) == 2 and len(answered) == 2:
            break
        page.wait_for_timeout(100)  # the route's handler runs meanwhile
    expect(page.get_by_role("list", name="Kept on this device")).to_be_hidden()
    expect(expense_rows(page)).to_have_count(1)
    assert len(keys) == 2
    assert keys[0]
    assert keys[0] == keys[1]
    expect(expense_rows(page)).to_have_count(1)
    assert answered == [201, 201]
    listed = page.request.get(live_server + "/api/expenses", headers=ann.headers).json()
    assert listed["total"] == 1, "the retry stored a second expense"

    # Changed input is a new create: a new key.
    page.get_by_label("Amount", exact=True).fill("4.00")
    page.get_by_role("button", name="Add expense").click()
    expect(expense_rows(page)).to_have_count(2)
    assert len(keys) == 3
    assert keys[2] not in keys[:2]
    assert [e for e in console_errors if "ERR_CONNECTION_RESET" not in e] == []


def test_every_create_sends_an_idempotency_key(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    ann = register(page, live_server, display_name="Ann")
    log_in(page, live_server, ann)
    sent: dict[str, str | None] = {}
    page.on(
        "request",
        lambda r: (
            sent.__setitem__(r.url.split("?")[0].removeprefix(live_server), r.header_value("Idempotency-Key"))
            if r.method == "POST"
            else None
        ),
    )
    page.get_by_label("Category", exact=True).fill("Food")
    page.get_by_label("Amount", exact=True).fill("3.00")
    page.get_by_role("button", name="Add expense").click()
    expect(expense_rows(page)).to_have_count(1)
    page.get_by_label("Budget category").fill("Food")
    page.get_by_label("Monthly budget").fill("100")
    page.get_by_role("button", name="Save budget").click()
    expect(page.get_by_role("progressbar", name="Food")).to_be_visible()
    page.get_by_role("button", name="Add recurring").click()
    form = page.get_by_role("dialog", name="Add recurring expense")
    form.get_by_label("Category").fill("Rent")
    form.get_by_label("Amount").fill("900")
    form.get_by_role("button", name="Save recurring").click()
    expect(form).to_be_hidden()
    page.get_by_role("button", name="Manage ledger").click()
    page.get_by_role("button", name="New ledger").click()
    created = page.get_by_role("dialog", name="New ledger")
    created.get_by_label("Name").fill("Flat")
    created.get_by_role("button", name="Create ledger").click()
    expect(page.get_by_label("Ledger", exact=True).locator("option:checked")).to_have_text("Flat")
    page.get_by_role("button", name="Manage ledger").click()
    page.get_by_role("dialog", name="Ledger settings").get_by_role(
        "button", name="Create invitation link"
    ).click()
    expect(page.get_by_label("Invitation link", exact=True)).to_have_value(re.compile("#/join/"))
    creates = {path: key for path, key in sent.items() if not path.startswith("/api/auth")}
    flat = re.search(r"#/l/(\d+)/", page.url)
    assert flat
    assert set(creates) == {
        "/api/expenses",
        "/api/budgets",
        "/api/recurring",
        "/api/ledgers",
        f"/api/ledgers/{flat[1]}/invitations",
    }
    uuid = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    assert all(key and uuid.match(key) for key in creates.values()), creates
    assert len(set(creates.values())) == len(creates)
    assert console_errors == []


def test_a_recurring_rule_in_a_shared_ledger_repeats_its_payer_and_split(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    ann = register(page, live_server, display_name="Ann")
    bob = register(page, live_server, display_name="Bob")
    ledger = shared_ledger(page, live_server, ann, bob, "editor")
    log_in(page, live_server, ann, f"/#/l/{ledger['id']}")
    panel = page.get_by_role("region", name="Recurring")
    panel.get_by_role("button", name="Add recurring").click()
    form = page.get_by_role("dialog", name="Add recurring expense")
    form.get_by_label("Category").fill("Rent")
    form.get_by_label("Amount", exact=True).fill("1000")
    form.get_by_label("Starts").fill(app_date().isoformat())
    expect(form.get_by_label("Paid by").locator("option:checked")).to_have_text("Ann")
    form.get_by_label("Paid by").select_option(label="Bob")
    form.get_by_label("How to split").select_option("shares")
    form.get_by_label("Ann: shares").fill("3")
    form.get_by_label("Bob: shares").fill("2")
    assert serious(page) == []
    form.get_by_role("button", name="Save recurring").click()
    expect(form).to_be_hidden()
    expect(panel.get_by_role("listitem")).to_contain_text("Bob pays · Ann 60%, Bob 40%")
    # Today's occurrence is an expense like any other, with the rule's payer and split.
    expect(expense_rows(page)).to_have_count(1)
    expect(expense_rows(page)).to_contain_text("Bob paid · Ann 60%, Bob 40%")
    balances = page.get_by_role("list", name="Balances")
    expect(balances.get_by_role("listitem").filter(has_text="Ann")).to_contain_text("-$600.00")

    # Edited back to equal: the rule's own split is cleared.
    panel.get_by_role("button", name="Edit recurring Rent").click()
    edit = page.get_by_role("dialog", name="Edit recurring expense")
    expect(edit.get_by_label("Paid by").locator("option:checked")).to_have_text("Bob")
    expect(edit.get_by_label("Bob: shares")).to_have_value("2")
    edit.get_by_label("How to split").select_option("equal")
    edit.get_by_role("button", name="Save recurring").click()
    expect(edit).to_be_hidden()
    expect(panel.get_by_role("listitem")).to_contain_text("Bob pays")
    expect(panel.get_by_role("listitem")).not_to_contain_text("%")
    assert console_errors == []

"""The SPA's shared helpers (dates.js, forms.js, dialog.js), run as the page loads them, in Chromium."""

from typing import Any

from playwright.sync_api import Page, expect


def run(page: Page, live_server: str, script: str) -> Any:
    """Evaluate `script` (an async function body) with the helper modules imported as d, f and g,
    once the page has rendered (its words are loaded: i18n.js): the very modules the page loaded,
    from its version's addresses (another address would be another copy of each module, with
    counters of its own)."""
    page.goto(live_server + "/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    return page.evaluate(
        f"""async () => {{
            const js = new URL("./", document.querySelector('script[type="module"]').src);
            const d = await import(new URL("dates.js", js));
            const f = await import(new URL("forms.js", js));
            const g = await import(new URL("dialog.js", js));
            const {{ ApiError }} = await import(new URL("api.js", js));
            {script}
        }}"""
    )


def test_date_arithmetic(page: Page, live_server: str, console_errors: list[str]) -> None:
    result = run(
        page,
        live_server,
        """return [
            d.addDays("2026-12-31", 1), d.addDays("2028-03-01", -1),
            d.addMonths("2026-01-31", 1), d.addMonths("2026-01-15", -1), d.addMonths("2026-11-30", 0),
            d.lastOfMonth("2028-02-10"), d.lastOfMonth("2026-02-01"), d.lastOfMonth("2026-12-31"),
            d.weekStart("2026-11-29"), d.weekStart("2026-11-23"), d.weekStart("2027-01-01"),
            d.weekStart("2026-11-29", 7), d.weekStart("2026-11-28", 7), d.weekStart("2027-01-01", 6),
            d.isValidDay("2026-02-28"), d.isValidDay("2026-02-29"), d.isValidDay("1899-12-31"),
            d.isValidDay("2999-12-31"), d.isValidDay("3000-01-01"),
        ];""",
    )
    assert result == [
        "2027-01-01", "2028-02-29",
        "2026-02-01", "2025-12-01", "2026-11-01",
        "2028-02-29", "2026-02-28", "2026-12-31",
        "2026-11-23", "2026-11-23", "2026-12-28",
        "2026-11-29", "2026-11-22", "2026-12-26",
        True, False, False,
        True, False,
    ]  # fmt: skip
    assert console_errors == []


def test_read_amount_takes_the_one_pattern(page: Page, live_server: str) -> None:
    result = run(
        page,
        live_server,
        """const field = f.amountField();
        return ["12.50", " 12,5 ", "1 000", "", "1.234", "-3", "1e3", "0x10"].map((typed) => {
            field.input.value = typed;
            field.setError("");
            return [f.readAmount(field, "250"), field.error.textContent];
        });""",
    )
    bad = "Enter a positive amount with at most two decimals, such as 250."
    assert result == [
        ["12.50", ""],
        ["12.5", ""],
        ["1000", ""],
        [None, "Enter an amount, such as 250."],
        [None, bad],
        [None, bad],
        [None, bad],
        [None, bad],
    ]


def test_a_failed_save_lands_next_to_its_field(page: Page, live_server: str) -> None:
    result = run(
        page,
        live_server,
        """document.body.replaceChildren();
        const fields = { category: f.categoryField(), amount: f.amountField() };
        const formError = f.formErrorLine();
        document.body.append(fields.category.wrap, fields.amount.wrap, formError);
        const state = () => [
            fields.category.error.textContent, fields.amount.error.textContent,
            formError.hidden ? null : formError.textContent, document.activeElement.name ?? null,
        ];
        const out = [];
        const invalid = new ApiError(422, [{ loc: ["body", "amount"], msg: "must be greater than 0" }]);
        f.showSaveError(fields, invalid, { formError });
        out.push(state());
        f.clearErrors(fields);
        const exists = new ApiError(409, "That budget exists");
        f.showSaveError(fields, exists, { formError, at: { 409: "category" } });
        out.push(state());
        f.clearErrors(fields);
        const refused = new ApiError(403, "no");
        f.showSaveError(fields, refused, { formError, at: { 403: ["amount", "Not yours."] } });
        out.push(state());
        f.clearErrors(fields);
        f.showSaveError(fields, new ApiError(500, null), { formError });
        out.push(state());
        f.say(formError, "");
        f.showSaveError(fields, new ApiError(500, null));
        out.push(state());
        try {
            f.showSaveError(fields, new TypeError("a bug"));
        } catch (error) {
            out.push(error.message);
        }
        return out;""",
    )
    server = "The server had a problem. Please try again in a moment."
    assert result == [
        ["", "Must be greater than 0", None, "amount"],
        ["That budget exists", "", None, "category"],
        ["", "Not yours.", None, "amount"],
        ["", "", server, "amount"],  # nothing to focus: focus stays where it was
        [server, "", None, "category"],
        "a bug",
    ]


def test_form_dialog_opens_submits_once_and_closes(page: Page, live_server: str) -> None:
    run(
        page,
        live_server,
        """window.calls = 0;
        const { close } = g.formDialog(
            document.body,
            {
                title: "Rename it",
                submitLabel: "Rename",
                onSubmit: async () => {
                    window.calls += 1;
                    await new Promise((resolve) => setTimeout(resolve, 300));
                    close();
                },
            },
            f.field("New name", { name: "name" }).wrap,
        );""",
    )
    dialog = page.get_by_role("dialog", name="Rename it")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Rename")).to_be_focused()
    dialog.get_by_label("New name").press("Enter")
    expect(dialog.get_by_role("button", name="Rename")).to_be_disabled()
    dialog.get_by_label("New name").press("Enter")  # a second press while busy sends nothing
    expect(dialog).to_have_count(0)  # closed and removed
    assert page.evaluate("window.calls") == 1
    run(
        page,
        live_server,
        """g.formDialog(document.body, { title: "Sure?", submitLabel: "Delete", danger: true, alert: true,
            onSubmit: () => {} });""",
    )
    alert = page.get_by_role("alertdialog", name="Sure?")
    expect(alert.get_by_role("button", name="Cancel")).to_be_focused()
    expect(alert.get_by_role("button", name="Delete")).to_have_class("danger")
    page.keyboard.press("Escape")
    expect(alert).to_have_count(0)

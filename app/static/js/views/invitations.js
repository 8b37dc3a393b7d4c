// Ledger invitation links: the owner's list of open links with Revoke (in the ledger's settings), and
// what a person sees on opening one: what it joins, from whom and as what, then Join or Not now.

import { ApiError, api } from "../api.js";
import { dialogHeading, formDialog, openDialog } from "../dialog.js";
import { el } from "../dom.js";
import { errorMessage, formErrorLine, say } from "../forms.js";
import { formatMoment } from "../format.js";
import { roleName } from "./ledger.js";
import { toast } from "./toast.js";
import { t } from "../i18n.js";

/** `button` copies the link in `input` to the clipboard; without the permission it selects it, for Ctrl+C. */
export function copyOnClick(button, input) {
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      toast(t("invite.copied"));
    } catch {
      input.select();
    }
  });
}

const roleText = (role) =>
  ({ owner: t("invite.roleOwner"), editor: t("invite.roleEditor"), viewer: t("invite.roleViewer") })[role] ?? role;
// The role inside a sentence: "Revoke the viewer link" (German keeps its capital: "Betrachter").
const roleWord = (role) => ({ owner: t("invite.wordOwner"), editor: t("invite.wordEditor"), viewer: t("invite.wordViewer") })[role] ?? role;

/** The open links of a ledger (owner), each with Revoke. Call load() to read them (again). */
export function invitationList(ledger) {
  const list = el("ul", { class: "invitation-list", "aria-label": t("invite.openLinks") });
  const none = el("p", { class: "card-sub invitation-none", hidden: true }, t("invite.noLinks"));
  const error = formErrorLine();
  const root = el("div", { class: "invitations" }, el("h3", {}, t("invite.openLinks")), none, list, error);

  async function load() {
    try {
      show(await api.ledgerInvitations(ledger.id));
    } catch (err) {
      say(error, t("invite.loadFailed", { message: errorMessage(err) }));
    }
  }

  function show(links) {
    say(error, "");
    none.hidden = links.length > 0;
    list.replaceChildren(
      ...links.map((link) => {
        const role = roleName(link.role);
        const made = formatMoment(link.created_at);
        const revoke = el(
          "button",
          { type: "button", class: "small danger-text", "aria-label": t("invite.revokeLabel", { role: roleWord(link.role), made }) },
          t("invite.revoke"),
        );
        revoke.addEventListener("click", async () => {
          revoke.disabled = true;
          try {
            await api.revokeInvitation(ledger.id, link.id);
            toast(t("invite.revoked"));
            load();
          } catch (err) {
            revoke.disabled = false;
            say(error, t("invite.revokeFailed", { message: errorMessage(err) }));
          }
        });
        return el(
          "li",
          { class: "invitation" },
          el(
            "div",
            { class: "invitation-text" },
            el("span", { class: "invitation-role" }, t("invite.roleLink", { role })),
            el("span", { class: "invitation-when" }, t("invite.when", { by: link.invited_by, made, until: formatMoment(link.expires_at) })),
          ),
          revoke,
        );
      }),
    );
  }

  return { root, load };
}

/**
 * #/join/<token>, once logged in: look at the link first and ask. `ledgers` are the person's own;
 * `open(id)` shows a ledger (after joining, or one the person is already in).
 */
export async function askToJoin(anchor, token, { ledgers, open }) {
  let invitation;
  try {
    invitation = await api.invitation(token);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      cannotJoin(anchor);
      return;
    }
    if (error instanceof ApiError && error.status === 401) return; // already back at log-in
    toast(t("invite.openFailed", { message: errorMessage(error) }), { error: true });
    return;
  }
  const mine = ledgers.find((l) => l.id === invitation.ledger_id);
  if (mine) {
    toast(t("invite.alreadyMember", { name: mine.name }));
    open(mine.id);
    return;
  }
  const formError = formErrorLine();
  const facts = [
    [t("ledger.label"), invitation.ledger_name],
    [t("invite.invitedBy"), invitation.invited_by],
    [t("invite.joinAs"), roleText(invitation.role)],
    [t("invite.worksUntil"), formatMoment(invitation.expires_at)],
  ];
  const { close } = formDialog(
    anchor,
    {
      title: t("invite.joinTitle"),
      submitLabel: t("invite.join"),
      cancelLabel: t("invite.notNow"),
      className: "join-dialog",
      onSubmit: async () => {
        say(formError, "");
        try {
          const ledger = await api.joinLedger(token);
          close();
          toast(t("invite.joined", { name: ledger.name }));
          open(ledger.id);
        } catch (error) {
          if (error instanceof ApiError && error.status === 409) {
            close();
            toast(t("invite.alreadyMember", { name: invitation.ledger_name }));
            open(invitation.ledger_id);
            return;
          }
          // 403: the link was spent, expired or revoked since it was looked at.
          const message = error instanceof ApiError && error.status === 403 ? t("invite.spent") : errorMessage(error);
          say(formError, message);
        }
      },
    },
    el(
      "p",
      { class: "card-sub join-lede" },
      t("invite.joinLede"),
    ),
    el("dl", { class: "join-facts" }, ...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)])),
    formError,
  );
}

/** A spent, expired, revoked or unknown link: say so, with nothing to do but close. */
function cannotJoin(anchor) {
  const heading = dialogHeading(t("invite.notValid"));
  const ok = el("button", { type: "button", class: "primary" }, t("common.ok"));
  const dialog = openDialog(
    anchor,
    { heading, className: "join-dialog" },
    el(
      "div",
      { class: "dialog-form" },
      heading,
      el("p", {}, t("invite.spent")),
      el("div", { class: "dialog-actions" }, ok),
    ),
  );
  ok.addEventListener("click", () => dialog.close());
  ok.focus();
}

// Ledger invitation links: the owner's list of open links with Revoke (in the ledger's settings), and
// what a person sees on opening one: what it joins, from whom and as what, then Join or Not now.

import { ApiError, api } from "../api.js";
import { dialogHeading, formDialog, openDialog } from "../dialog.js";
import { el } from "../dom.js";
import { errorMessage, formErrorLine, say } from "../forms.js";
import { formatMoment } from "../format.js";
import { toast } from "./toast.js";

/** `button` copies the link in `input` to the clipboard; without the permission it selects it, for Ctrl+C. */
export function copyOnClick(button, input) {
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      toast("Link copied.");
    } catch {
      input.select();
    }
  });
}

const ROLE_TEXT = {
  owner: "Owner: can do everything, including inviting and removing members",
  editor: "Editor: can add, change and delete expenses, budgets and payments",
  viewer: "Viewer: can see everything and change nothing",
};
const ROLE_NAME = { owner: "Owner", editor: "Editor", viewer: "Viewer" };

/** The open links of a ledger (owner), each with Revoke. Call load() to read them (again). */
export function invitationList(ledger) {
  const list = el("ul", { class: "invitation-list", "aria-label": "Open invitation links" });
  const none = el("p", { class: "card-sub invitation-none", hidden: true }, "No open links.");
  const error = formErrorLine();
  const root = el("div", { class: "invitations" }, el("h3", {}, "Open invitation links"), none, list, error);

  async function load() {
    try {
      show(await api.ledgerInvitations(ledger.id));
    } catch (err) {
      say(error, `Could not load the links: ${errorMessage(err)}`);
    }
  }

  function show(links) {
    say(error, "");
    none.hidden = links.length > 0;
    list.replaceChildren(
      ...links.map((link) => {
        const role = ROLE_NAME[link.role] ?? link.role;
        const made = formatMoment(link.created_at);
        const revoke = el(
          "button",
          { type: "button", class: "small danger-text", "aria-label": `Revoke the ${link.role} link made ${made}` },
          "Revoke",
        );
        revoke.addEventListener("click", async () => {
          revoke.disabled = true;
          try {
            await api.revokeInvitation(ledger.id, link.id);
            toast("Link revoked: it no longer works.");
            load();
          } catch (err) {
            revoke.disabled = false;
            say(error, `Could not revoke the link: ${errorMessage(err)}`);
          }
        });
        return el(
          "li",
          { class: "invitation" },
          el(
            "div",
            { class: "invitation-text" },
            el("span", { class: "invitation-role" }, `${role} link`),
            el("span", { class: "invitation-when" }, `by ${link.invited_by}, made ${made}, works until ${formatMoment(link.expires_at)}`),
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
    toast(`Could not open the invitation: ${errorMessage(error)}`, { error: true });
    return;
  }
  const mine = ledgers.find((l) => l.id === invitation.ledger_id);
  if (mine) {
    toast(`You are already a member of ${mine.name}.`);
    open(mine.id);
    return;
  }
  const formError = formErrorLine();
  const facts = [
    ["Ledger", invitation.ledger_name],
    ["Invited by", invitation.invited_by],
    ["You join as", ROLE_TEXT[invitation.role] ?? invitation.role],
    ["Link works until", formatMoment(invitation.expires_at)],
  ];
  const { close } = formDialog(
    anchor,
    {
      title: "Join a shared ledger?",
      submitLabel: "Join",
      cancelLabel: "Not now",
      className: "join-dialog",
      onSubmit: async () => {
        say(formError, "");
        try {
          const ledger = await api.joinLedger(token);
          close();
          toast(`You joined ${ledger.name}.`);
          open(ledger.id);
        } catch (error) {
          if (error instanceof ApiError && error.status === 409) {
            close();
            toast(`You are already a member of ${invitation.ledger_name}.`);
            open(invitation.ledger_id);
            return;
          }
          // 403: the link was spent, expired or revoked since it was looked at.
          const message = error instanceof ApiError && error.status === 403 ? SPENT : errorMessage(error);
          say(formError, message);
        }
      },
    },
    el(
      "p",
      { class: "card-sub join-lede" },
      "Members of a shared ledger see all its expenses, budgets and balances. Nothing happens until you choose Join.",
    ),
    el("dl", { class: "join-facts" }, ...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)])),
    formError,
  );
}

const SPENT =
  "This invitation link cannot be used any more: it was used already, it expired, or it was revoked. " +
  "Ask the person who sent it for a new link.";

/** A spent, expired, revoked or unknown link: say so, with nothing to do but close. */
function cannotJoin(anchor) {
  const heading = dialogHeading("Invitation link not valid");
  const ok = el("button", { type: "button", class: "primary" }, "OK");
  const dialog = openDialog(
    anchor,
    { heading, className: "join-dialog" },
    el(
      "div",
      { class: "dialog-form" },
      heading,
      el("p", {}, SPENT),
      el("div", { class: "dialog-actions" }, ok),
    ),
  );
  ok.addEventListener("click", () => dialog.close());
  ok.focus();
}

// The API's error messages are English (clients and logs read them); the page shows the ones it
// knows in the person's language: exact messages by key, then patterns whose varying parts
// (named groups) fill the message's {placeholders}. An unknown message is shown as it came.

import { currentLanguage, t } from "./i18n.js";

const EXACT = {
  "Invalid email or password": "apiError.invalidLogin",
  "That password is not correct.": "apiError.wrongPassword",
  "An account with this email already exists.": "apiError.emailTaken",
  "An account with this email already exists. Log in instead.": "apiError.emailTakenLogIn",
  "Registration is closed on this instance. Ask its admin for an invitation link.": "apiError.registrationClosed",
  "This invitation link is not valid: it was used already or has expired. Ask for a new one.": "apiError.badInvitation",
  "This reset link is not valid: it was used already or has expired. Ask for a new one.": "apiError.badResetLink",
  "This instance does not send email. Ask its admin for a reset link.": "apiError.noEmail",
  "This invitation link does not work: it was used or withdrawn, or has expired. Ask for a new one.": "apiError.badLedgerInvitation",
  "You are already a member of this ledger.": "apiError.alreadyMember",
  "This member's balance is not zero: settle up first.": "apiError.memberBalance",
  "This is the ledger's last owner; make another member owner first.": "apiError.lastOwner",
  "A personal ledger's owner stays its owner: they cannot be demoted, removed or leave.": "apiError.personalOwner",
  "Your personal ledger cannot be deleted; delete your account instead.": "apiError.personalLedger",
  "This is the last admin of this instance; make another account admin first.": "apiError.lastAdmin",
  "The file is empty": "apiError.fileEmpty",
  "The file has no header line": "apiError.fileNoHeader",
  "The file has a header but no rows": "apiError.fileNoRows",
  "This value is not valid": "apiError.invalidValue",
  // Field messages (Pydantic's and app/types.py's), capitalised as api.js shows them.
  "Field required": "apiError.required",
  "Must not contain control characters": "apiError.controlCharacters",
  "Must be a real calendar date": "apiError.realDate",
  "Must be between the years 1900 and 2999": "apiError.years",
  "Must be greater than 0": "apiError.positive",
  "Must be at most 1,000,000,000": "apiError.tooLarge",
  "Value error, value is not a valid email address: An email address must have an @-sign.": "apiError.emailAt",
};

const PATTERNS = [
  [/^Too many attempts\. Try again in (?<count>\d+) minutes?\.$/, "apiError.tooManyAttempts"],
  [/^There is already a budget for (?<category>.+)\. Edit that one instead\.$/, "apiError.budgetExists"],
  [/^This ledger's currency changed to (?<currency>[A-Z]{3}) meanwhile: try again\.$/, "apiError.currencyChanged"],
  [/^String should have at most (?<count>\d+) characters?$/, "apiError.maxLength"],
  [/^String should have at least (?<count>\d+) characters?$/, "apiError.minLength"],
  [/^Value error, (?<rest>.+)$/, null], // the validator's own message, without Pydantic's prefix
];

/** `message` in the page's language when it is one the page knows, else as it came. */
export function localized(message) {
  if (currentLanguage() === "en" || typeof message !== "string") return message;
  if (EXACT[message]) return t(EXACT[message]);
  for (const [pattern, key] of PATTERNS) {
    const groups = pattern.exec(message)?.groups;
    if (!groups) continue;
    if (key === null) return localizedRest(groups.rest, message);
    const params = { ...groups };
    if ("count" in params) params.count = Number(params.count);
    return t(key, params);
  }
  return message;
}

function localizedRest(rest, message) {
  const capital = rest.charAt(0).toUpperCase() + rest.slice(1);
  const translated = localized(capital);
  return translated === capital ? message : translated;
}

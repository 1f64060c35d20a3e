// Pure logic of handing a seat (岗位账号) to a successor: the checks the office makes on a new
// password and on the successor (made here first, so the form can say what is wrong before
// anything is sent), and what the desk's and the office's refusals mean for the person.
import { toDeskError } from "./api/desk";
import type { DeskError } from "./bindings/DeskError";
import type { HandoverState } from "./bindings/HandoverState";
import type { HandoverView } from "./bindings/HandoverView";
import type { Holder } from "./bindings/Holder";
import type { Successor } from "./bindings/Successor";
import { RULES } from "./bindings/ruleValues";
import { beijingToday, charCount, formatIsoDay, hasControl } from "./signoff";
import { fromOnlineError, type UiError } from "./uiError";

// The numbers are the rules the desk and the office apply (generated from the domain crate).
/** Shortest new password, in characters (the office's policy). */
export const MIN_PASSWORD_CHARS = RULES.password_chars;
/** Longest successor name, in characters. */
export const MAX_SUCCESSOR_NAME_CHARS = RULES.successor_name_chars;
/** Longest staff number (工号). */
export const MAX_STAFF_NO_CHARS = RULES.staff_no_chars;
/** How many digits a phone number has at least and at most. */
export const PHONE_DIGITS = { min: RULES.phone_digits[0], max: RULES.phone_digits[1] } as const;

export const HANDOVER_STATES: readonly HandoverState[] = [
  "requested",
  "approved",
  "declined",
  "completed",
  "expired",
];

// --- new password -----------------------------------------------------------------------------

export type PasswordProblem = "too_short" | "too_simple" | "contains_login";

const LETTER = /\p{Alphabetic}/u;

/**
 * What is wrong with a new password for `login`, as the office judges it: at least 10
 * characters; letters and at least one character that is not a letter (a digit or a symbol);
 * not containing the login (ignoring case). `null` when it is acceptable.
 */
export function passwordProblem(login: string, password: string): PasswordProblem | null {
  const chars = [...password];
  if (chars.length < MIN_PASSWORD_CHARS) return "too_short";
  const letters = chars.some((c) => LETTER.test(c));
  const others = chars.some((c) => !LETTER.test(c));
  if (!(letters && others)) return "too_simple";
  const seat = login.trim().toLowerCase();
  if (seat !== "" && password.toLowerCase().includes(seat)) return "contains_login";
  return null;
}

// --- redeeming a handover code ------------------------------------------------------------------

/** What the successor typed into the handover sign-in form. */
export interface RedeemInput {
  officeUrl: string;
  login: string;
  code: string;
  password: string;
  password2: string;
}

export type RedeemProblem =
  | "no_office"
  | "bad_office"
  | "no_login"
  | "no_code"
  | "no_password"
  | PasswordProblem
  | "mismatch";

export type RedeemField = "office" | "login" | "code" | "password" | "password2";

/** Whether an office address is one the desk accepts (as the desk checks it). */
export function isOfficeUrl(url: string): boolean {
  const u = url.trim();
  return u.startsWith("http://") || u.startsWith("https://");
}

/** Everything wrong with the form, in the order of its fields; empty when it may be sent. */
export function redeemProblems(input: RedeemInput): RedeemProblem[] {
  const problems: RedeemProblem[] = [];
  if (!input.officeUrl.trim()) problems.push("no_office");
  else if (!isOfficeUrl(input.officeUrl)) problems.push("bad_office");
  if (!input.login.trim()) problems.push("no_login");
  if (!normalizedCode(input.code)) problems.push("no_code");
  if (!input.password) problems.push("no_password");
  else {
    const weak = passwordProblem(input.login, input.password);
    if (weak) problems.push(weak);
  }
  if (input.password && input.password2 !== input.password) problems.push("mismatch");
  return problems;
}

/** The field a problem is about (for aria-invalid and focus). */
export function redeemProblemField(problem: RedeemProblem): RedeemField {
  switch (problem) {
    case "no_office":
    case "bad_office":
      return "office";
    case "no_login":
      return "login";
    case "no_code":
      return "code";
    case "mismatch":
      return "password2";
    default:
      return "password";
  }
}

/** The code as the office compares it: letters and digits only, upper case. */
export function normalizedCode(code: string): string {
  return code.replace(/[^0-9A-Za-z]/g, "").toUpperCase();
}

/** Whether the office refused with its error code `officeCode` (from the error's data). */
function refusedBy(e: DeskError, officeCode: string): boolean {
  return e.data?.kind === "office" && e.data.code === officeCode;
}

/** A failed redemption for the person at the form, by the office's code. */
export function redeemError(value: unknown): UiError {
  const e = toDeskError(value);
  const detail = e.detail || undefined;
  if (refusedBy(e, "handover_code_invalid")) return { key: "handover.redeem.code_invalid", detail };
  if (refusedBy(e, "handover_code_expired")) return { key: "handover.redeem.code_expired", detail };
  if (refusedBy(e, "weak_password")) {
    return { key: "handover.redeem.weak_password", params: { min: MIN_PASSWORD_CHARS }, detail };
  }
  // The office took the code, but this desk still holds another seat's unsent items.
  if (e.code === "other_seat_unsent") return { key: "handover.redeem.desk_in_use", detail };
  if (e.code === "bad_office_address") return { key: "handover.redeem.problem.bad_office", detail };
  return fromOnlineError(e);
}

// --- starting a handover ------------------------------------------------------------------------

export type SuccessorProblem = "no_name" | "name_too_long" | "name_not_one_line" | "bad_staff_no" | "bad_phone";
export type SuccessorField = "name" | "staff_no" | "phone";

/** The successor as the form has it, trimmed. */
export function trimmedSuccessor(s: Successor): Successor {
  return { name: s.name.trim(), staff_no: s.staff_no.trim(), phone: s.phone.trim() };
}

/**
 * Everything wrong with the successor, as the office checks it: a name of at most
 * MAX_SUCCESSOR_NAME_CHARS characters; a staff number of at most MAX_STAFF_NO_CHARS letters,
 * digits or hyphens; a phone number of PHONE_DIGITS digits, written with digits, spaces, hyphens
 * and a leading +.
 */
export function successorProblems(s: Successor): SuccessorProblem[] {
  const { name, staff_no, phone } = trimmedSuccessor(s);
  const problems: SuccessorProblem[] = [];
  if (!name) problems.push("no_name");
  else if (charCount(name) > MAX_SUCCESSOR_NAME_CHARS) problems.push("name_too_long");
  else if (hasControl(name)) problems.push("name_not_one_line");
  if (!staff_no || staff_no.length > MAX_STAFF_NO_CHARS || !/^[0-9A-Za-z-]+$/.test(staff_no)) {
    problems.push("bad_staff_no");
  }
  const digits = (phone.match(/[0-9]/g) ?? []).length;
  if (digits < PHONE_DIGITS.min || digits > PHONE_DIGITS.max || !/^\+?[0-9 -]*$/.test(phone)) {
    problems.push("bad_phone");
  }
  return problems;
}

export function successorProblemField(problem: SuccessorProblem): SuccessorField {
  if (problem === "bad_staff_no") return "staff_no";
  if (problem === "bad_phone") return "phone";
  return "name";
}

/**
 * The titles a `handover_blocked` refusal names, oldest first, as written (an empty one is an
 * untitled draft; see `isUntitled`).
 */
export function pendingTitles(e: DeskError): string[] {
  return e.data?.kind === "pending" ? e.data.titles : [];
}

/** A failed start: what to say, and the pending titles when the desk named them. */
export interface StartFailure {
  error: UiError;
  pending: string[] | null;
}

export function startError(value: unknown): StartFailure {
  const e = toDeskError(value);
  const detail = e.detail || undefined;
  if (e.code === "handover_blocked") {
    return { error: { key: "errors.handover_blocked" }, pending: pendingTitles(e) };
  }
  if (e.code === "rejected_by_office" && refusedBy(e, "conflict")) {
    return { error: { key: "handover.start.already_open", detail }, pending: null };
  }
  if (e.code === "rejected_by_office" && refusedBy(e, "forbidden")) {
    return { error: { key: "handover.start.forbidden", detail }, pending: null };
  }
  if (e.data?.kind === "successor" || refusedBy(e, "validation")) {
    return { error: { key: "handover.start.invalid_successor", detail }, pending: null };
  }
  return { error: fromOnlineError(e), pending: null };
}

// --- the code, the list and the history ---------------------------------------------------------

/**
 * A failed look at the handover code. The office shows the code once: afterwards it answers
 * "not found" (or refuses), which means the code was already shown.
 */
export function codeError(value: unknown): UiError {
  const e = toDeskError(value);
  if (e.code === "not_found" || e.code === "rejected_by_office") {
    return { key: "handover.code.already_shown", detail: e.detail || undefined };
  }
  return fromOnlineError(e);
}

/** Still to be decided or redeemed: a seat has at most one open handover. */
export function isOpen(state: HandoverState): boolean {
  return state === "requested" || state === "approved";
}

/** The seat's open handover, if any. */
export function openHandover(list: readonly HandoverView[]): HandoverView | null {
  return list.find((h) => isOpen(h.state)) ?? null;
}

/** Whether an approved handover's code has run out (by the desk's clock). */
export function codeExpired(h: HandoverView, now: Date): boolean {
  if (h.state === "expired") return true;
  if (h.state !== "approved" || !h.code_expires_at) return false;
  const ms = Date.parse(h.code_expires_at);
  return !Number.isNaN(ms) && ms <= now.getTime();
}

/** The Beijing calendar day of an instant, with its year: "2026年11月27日" or "2026-11-27". */
export function holderDay(rfc3339: string, locale: string): string {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) return rfc3339;
  return formatIsoDay(beijingToday(new Date(ms)), locale);
}

/** Holders, the current one first, then by when they took the seat, latest first. */
export function sortedHolders(list: readonly Holder[]): Holder[] {
  return [...list].sort((a, b) => {
    if ((a.until === null) !== (b.until === null)) return a.until === null ? -1 : 1;
    return Date.parse(b.from) - Date.parse(a.from);
  });
}

export { isUntitled } from "./format";

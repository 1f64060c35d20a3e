// Pure logic of the department's sign-off: the officer's record of a paper sign-off (checked
// here the way the desk checks it before sending), how long an item has waited for the
// responsible person, and the sandboxed document an item's body is read in.
import type { AttachmentRef } from "./bindings/AttachmentRef";
import type { Attestation } from "./bindings/Attestation";
import { RULES } from "./bindings/ruleValues";
import { beijingParts } from "./format";
import { INLINE_FILE_SCHEME, sniffImageMime } from "./image";

/** Longest approver name, in characters (the rule the desk and the office apply). */
export const MAX_APPROVER_CHARS = RULES.approver_chars;

/** Longest comment, quote or reason for returning, in characters (the rule the desk and the
 * office apply, after trimming). */
export const MAX_REMARK_CHARS = RULES.comment_chars;

/** An i18n key and its parameters. */
export interface Message {
  key: string;
  params?: Record<string, unknown>;
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** Number of characters as Rust counts them (code points, not UTF-16 units). */
/** Whether a one-line field holds a control character (a line break, a tab…), which the desk and
 * the office refuse in it (the domain's `text::is_clean`). */
export function hasControl(s: string): boolean {
  return /\p{Cc}/u.test(s);
}

export function charCount(s: string): number {
  return [...s].length;
}

/** Today's date in Beijing, "YYYY-MM-DD". */
export function beijingToday(now: Date): string {
  const p = beijingParts(now.getTime());
  return `${p.year}-${pad2(p.month)}-${pad2(p.day)}`;
}

/** Whether `s` is a real calendar day written "YYYY-MM-DD". */
export function isIsoDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/** A Beijing calendar day "YYYY-MM-DD" for people: "2026年11月27日" or "2026-11-27". */
export function formatIsoDay(iso: string, locale: string): string {
  if (!isIsoDate(iso) || !locale.toLowerCase().startsWith("zh")) return iso;
  const [year, month, day] = iso.split("-").map(Number);
  return `${year}年${month}月${day}日`;
}

/** What the officer typed into the paper sign-off form. */
export interface AttestationInput {
  approver: string;
  approvedOn: string;
  formSha256: string;
}

export type AttestationProblem =
  | "no_approver"
  | "approver_too_long"
  | "approver_not_one_line"
  | "bad_date"
  | "future_date"
  | "no_form"
  | "form_not_attached";

/**
 * Everything wrong with a paper sign-off, in the form's order (empty: it may be saved). `today`
 * is Beijing's date "YYYY-MM-DD"; the date on the form may not be later.
 */
export function attestationProblems(
  input: AttestationInput,
  attachments: readonly Pick<AttachmentRef, "sha256">[],
  today: string,
): AttestationProblem[] {
  const problems: AttestationProblem[] = [];
  const approver = input.approver.trim();
  if (!approver) problems.push("no_approver");
  else if (charCount(approver) > MAX_APPROVER_CHARS) problems.push("approver_too_long");
  else if (hasControl(approver)) problems.push("approver_not_one_line");
  const day = input.approvedOn.trim();
  if (!isIsoDate(day)) problems.push("bad_date");
  // Both are "YYYY-MM-DD": comparing the strings compares the days.
  else if (day > today) problems.push("future_date");
  if (!input.formSha256) problems.push("no_form");
  else if (!attachments.some((a) => a.sha256 === input.formSha256)) problems.push("form_not_attached");
  return problems;
}

/** The sentence telling the officer what to fix. */
export function attestationProblemMessage(p: AttestationProblem, today: string, locale: string): Message {
  switch (p) {
    case "approver_too_long":
      return { key: "attest.problem.approver_too_long", params: { max: MAX_APPROVER_CHARS } };
    case "future_date":
      return { key: "attest.problem.future_date", params: { today: formatIsoDay(today, locale) } };
    default:
      return { key: `attest.problem.${p}` };
  }
}

/** The record to save (the approver's name trimmed). */
export function toAttestation(input: AttestationInput): Attestation {
  return {
    approver: input.approver.trim(),
    approved_on: input.approvedOn.trim(),
    form_sha256: input.formSha256,
  };
}

/** The form's fields filled from a saved record, or empty with today's date. */
export function attestationInput(saved: Attestation | null, today: string): AttestationInput {
  return saved
    ? { approver: saved.approver, approvedOn: saved.approved_on, formSha256: saved.form_sha256 }
    : { approver: "", approvedOn: today, formSha256: "" };
}

export type RemarkProblem = "empty" | "too_long";

/** What is wrong with a comment or a reason for returning (null: nothing). */
export function remarkProblem(text: string): RemarkProblem | null {
  const trimmed = text.trim();
  if (!trimmed) return "empty";
  if (charCount(trimmed) > MAX_REMARK_CHARS) return "too_long";
  return null;
}

/** An optional quoted passage as sent: trimmed, or null when there is none. */
export function optionalQuote(quote: string): string | null {
  const trimmed = quote.trim();
  return trimmed ? trimmed : null;
}

/** Whether an optional quote is too long to send. */
export function quoteTooLong(quote: string): boolean {
  return charCount(quote.trim()) > MAX_REMARK_CHARS;
}

const MINUTE_MS = 60 * 1000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * How long something has waited since `since` (RFC 3339), in whole minutes below an hour,
 * whole hours below a day, else whole days. Null when `since` cannot be read.
 */
export function waitedFor(since: string, now: Date): Message | null {
  const start = Date.parse(since);
  if (Number.isNaN(start)) return null;
  const ms = Math.max(0, now.getTime() - start);
  if (ms < MINUTE_MS) return { key: "signoff.waited_under_minute" };
  if (ms < HOUR_MS) return { key: "signoff.waited_minutes", params: { n: Math.floor(ms / MINUTE_MS) } };
  if (ms < DAY_MS) return { key: "signoff.waited_hours", params: { n: Math.floor(ms / HOUR_MS) } };
  return { key: "signoff.waited_days", params: { n: Math.floor(ms / DAY_MS) } };
}

/**
 * The document an item's body is shown in, inside `<iframe sandbox="" srcdoc>`: the sandbox
 * stops scripts and gives it an opaque origin; its own policy also keeps it from loading
 * anything but inline images and its own style.
 */
export function bodyDocument(bodyHtml: string, lang: string): string {
  const safeLang = /^[A-Za-z-]{2,16}$/.test(lang) ? lang : "zh-CN";
  return [
    "<!doctype html>",
    `<html lang="${safeLang}"><head><meta charset="utf-8">`,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
    "<style>",
    'body{margin:0.75rem 1rem;font:15px/1.8 "Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;color:#1f2329;overflow-wrap:anywhere}',
    "img{max-width:100%;height:auto}",
    "h2{font-size:1.3rem}h3{font-size:1.1rem}",
    "</style></head><body>",
    bodyHtml,
    "</body></html>",
  ].join("");
}

/** An inline image's src as the office's sanitiser writes it, with its SHA-256 captured. */
function inlineSrc(): RegExp {
  return new RegExp(`src="${INLINE_FILE_SCHEME}([0-9a-f]{64})"`, "g");
}

/** The SHA-256s of the images a body shows from its item's files, each once, in order. */
export function inlineImageShas(bodyHtml: string): string[] {
  const found: string[] = [];
  for (const m of bodyHtml.matchAll(inlineSrc())) {
    if (!found.includes(m[1])) found.push(m[1]);
  }
  return found;
}

/**
 * A `data:` URL of an image's bytes, typed by what the bytes are; null when they are not an
 * image the desk shows (the frame's policy loads nothing else).
 */
export function imageDataUrl(bytes: Uint8Array): string | null {
  const mime = sniffImageMime(bytes);
  if (!mime) return null;
  let binary = "";
  const step = 0x8000;
  for (let at = 0; at < bytes.length; at += step) {
    binary += String.fromCharCode(...bytes.subarray(at, at + step));
  }
  return `data:${mime};base64,${btoa(binary)}`;
}

/**
 * The body with each inline image of its item's files pointing at the `data:` URL `urls` holds
 * for it; an image without one keeps its `liaison-file:` src (the frame shows its alt text).
 */
export function withInlineImages(bodyHtml: string, urls: ReadonlyMap<string, string>): string {
  return bodyHtml.replace(inlineSrc(), (whole, sha: string) => {
    const url = urls.get(sha);
    return url ? `src="${url}"` : whole;
  });
}

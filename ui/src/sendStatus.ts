// How far a draft is on its way to the editorial office, as shown in the editor and the list.
import type { DeskError } from "./bindings/DeskError";
import type { DraftSummary } from "./bindings/DraftSummary";
import type { DraftView } from "./bindings/DraftView";
import type { ItemState } from "./bindings/ItemState";
import type { SendProgress } from "./bindings/SendProgress";

export type SendStatusKind =
  | "draft"
  | "needs_attention"
  | "queued"
  | "uploading"
  | "retrying"
  | "awaiting_signoff"
  | "delivered"
  | "accepted"
  | "returned"
  | "rejected";

export interface SendStatus {
  kind: SendStatusKind;
  /** While a queued send's files are going up: 0–99; otherwise null. */
  percent: number | null;
  /** Why the send failed (the draft's last_error), for needs_attention and retrying; otherwise
   * null. */
  failure: DeskError | null;
}

/** An i18n key and its parameters. */
export interface StatusMessage {
  key: string;
  params?: Record<string, unknown>;
}

function clampPercent(p: number): number {
  return Math.min(99, Math.max(0, Math.floor(p)));
}

/** Upload percent of a send in progress, or null when nothing is (still) uploading. */
export function uploadPercent(sending: SendProgress | null): number | null {
  if (!sending || !(sending.total_bytes > 0)) return null;
  if (sending.uploaded_bytes >= sending.total_bytes) return null;
  return clampPercent((sending.uploaded_bytes * 100) / sending.total_bytes);
}

/** The same from a list row's upload_percent (100 or null: not uploading). */
export function summaryPercent(value: number | null): number | null {
  if (value === null || !Number.isFinite(value) || value >= 100) return null;
  return clampPercent(value);
}

export function sendStatus(
  state: ItemState,
  lastError: DeskError | null,
  percent: number | null,
): SendStatus {
  const failure = lastError ?? null;
  if (state === "draft") {
    return failure
      ? { kind: "needs_attention", percent: null, failure }
      : { kind: "draft", percent: null, failure: null };
  }
  if (state === "queued") {
    if (failure) return { kind: "retrying", percent, failure };
    if (percent !== null) return { kind: "uploading", percent, failure: null };
    return { kind: "queued", percent: null, failure: null };
  }
  return { kind: state, percent: null, failure: null };
}

export function draftSendStatus(d: Pick<DraftView, "state" | "last_error" | "sending">): SendStatus {
  return sendStatus(d.state, d.last_error, uploadPercent(d.sending));
}

export function summarySendStatus(
  d: Pick<DraftSummary, "state" | "last_error" | "upload_percent">,
): SendStatus {
  return sendStatus(d.state, d.last_error, summaryPercent(d.upload_percent));
}

/** Office refusal codes the window explains in its own words (`send.office.<code>`). */
export const OFFICE_CODES = ["quota_exceeded", "storage_full", "rate_limited"] as const;
export type OfficeCode = (typeof OFFICE_CODES)[number];

/** The office's code of a send's failure (from the error's data), if the window has its own
 * words for it. */
export function officeCode(failure: DeskError | null): OfficeCode | null {
  const data = failure?.data;
  if (data?.kind !== "office") return null;
  return OFFICE_CODES.find((c) => c === data.code) ?? null;
}

/** The short label (the state badge). */
export function statusLabel(s: SendStatus): StatusMessage {
  switch (s.kind) {
    case "needs_attention":
      return { key: "send.attention" };
    case "queued":
      return { key: "send.queued" };
    case "uploading":
      return { key: "send.uploading", params: { percent: `${s.percent}%` } };
    case "retrying":
      return s.percent === null
        ? { key: "send.queued" }
        : { key: "send.uploading", params: { percent: `${s.percent}%` } };
    default:
      return { key: `state.${s.kind}` };
  }
}

/** The sentence shown under the label, when the status needs one: worded by the failure's
 * code (the office's own, where the window has words for it), never by its text. */
export function statusLine(s: SendStatus): StatusMessage | null {
  const code = s.kind === "needs_attention" || s.kind === "retrying" ? officeCode(s.failure) : null;
  if (code) return { key: `send.office.${code}` };
  switch (s.kind) {
    case "needs_attention":
      return { key: s.failure ? `errors.${s.failure.code}` : "errors.internal" };
    case "retrying":
      return { key: "send.retrying" };
    default:
      return null;
  }
}

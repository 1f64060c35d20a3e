// The only module that talks to the Tauri runtime. Components call these
// functions; every rejection is a DeskError ({ code, detail }).
import { invoke, type InvokeArgs, type InvokeOptions } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";

import type { Attestation } from "../bindings/Attestation";
import type { BoardView } from "../bindings/BoardView";
import type { ColumnView } from "../bindings/ColumnView";
import type { CommissionView } from "../bindings/CommissionView";
import type { FirstScreen } from "../bindings/FirstScreen";
import type { PeriodStanding } from "../bindings/PeriodStanding";
import type { DeskError } from "../bindings/DeskError";
import type { DeskErrorCode } from "../bindings/DeskErrorCode";
import type { DiffLine } from "../bindings/DiffLine";
import type { DraftSummary } from "../bindings/DraftSummary";
import type { DraftView } from "../bindings/DraftView";
import type { HandoverCode } from "../bindings/HandoverCode";
import type { HandoverView } from "../bindings/HandoverView";
import type { Holder } from "../bindings/Holder";
import type { ImportRecord } from "../bindings/ImportRecord";
import type { InboxItem } from "../bindings/InboxItem";
import type { ItemDetail } from "../bindings/ItemDetail";
import type { ItemTimeline } from "../bindings/ItemTimeline";
import type { NoticeView } from "../bindings/NoticeView";
import type { NotifyHours } from "../bindings/NotifyHours";
import type { Problem } from "../bindings/Problem";
import type { SessionView } from "../bindings/SessionView";
import type { Successor } from "../bindings/Successor";
import type { TrustView } from "../bindings/TrustView";
import type { SyncReport } from "../bindings/SyncReport";
import type { SearchHit } from "../bindings/SearchHit";

export const DESK_ERROR_CODES: readonly DeskErrorCode[] = [
  "keyring_unavailable",
  "office_unreachable",
  "office_busy",
  "wrong_password",
  "session_expired",
  "not_signed_in",
  "not_found",
  "invalid_state",
  "rejected_by_office",
  "file_not_allowed",
  "signoff_required",
  "seat_handed_over",
  "seat_disabled",
  "preflight_failed",
  "handover_blocked",
  "storage",
  "internal",
  "plain_http_refused",
  "bad_office_address",
  "other_seat_unsent",
  "certificate_unknown",
  "certificate_changed",
  "certificate_not_trusted",
  "ca_file_invalid",
];

export const RUNTIME_MISSING_DETAIL =
  "desk runtime missing: window.__TAURI_INTERNALS__ is absent; open Liaison Desk through the Tauri app, not a plain browser";

/** Event emitted by the backend after local data (drafts, board, notices) changed. */
export const CHANGED_EVENT = "desk://changed";

export function isDeskError(value: unknown): value is DeskError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.code === "string" &&
    (DESK_ERROR_CODES as readonly string[]).includes(v.code) &&
    typeof v.detail === "string"
  );
}

/** Turns anything a command rejected with into a DeskError. */
export function toDeskError(value: unknown): DeskError {
  if (isDeskError(value)) {
    const { code, detail, certificate, data } = value;
    return {
      code,
      detail,
      ...(certificate ? { certificate } : {}),
      ...(data ? { data } : {}),
    };
  }
  if (value instanceof Error) return { code: "internal", detail: value.message };
  if (typeof value === "string") return { code: "internal", detail: value };
  let detail: string;
  try {
    detail = JSON.stringify(value) ?? String(value);
  } catch {
    detail = String(value);
  }
  return { code: "internal", detail };
}

export function hasDeskRuntime(): boolean {
  return typeof window !== "undefined" && window.__TAURI_INTERNALS__ != null;
}

async function call<T>(
  command: string,
  args?: InvokeArgs,
  options?: InvokeOptions,
): Promise<T> {
  if (!hasDeskRuntime()) {
    throw { code: "internal", detail: RUNTIME_MISSING_DETAIL } satisfies DeskError;
  }
  try {
    return await invoke<T>(command, args, options);
  } catch (e) {
    throw toDeskError(e);
  }
}

export function session(): Promise<SessionView> {
  return call("session");
}

/** The session, and the signed-in seat's columns and drafts: the first screen, in one call. */
export function firstScreen(): Promise<FirstScreen> {
  return call("first_screen");
}

export function signIn(officeUrl: string, login: string, password: string): Promise<SessionView> {
  return call("sign_in", { officeUrl, login, password });
}

export function signOut(): Promise<SessionView> {
  return call("sign_out");
}

export function columns(): Promise<ColumnView[]> {
  return call("columns");
}

export function drafts(): Promise<DraftSummary[]> {
  return call("drafts");
}

/** The first page of drafts holding `term`, most recently saved first. */
export function searchDrafts(term: string): Promise<SearchHit[]> {
  return call("search_drafts", { term });
}

/**
 * Tells the app the page is on screen (once, after its first frame): start-up ends there.
 * `pageMs`: how long after the page began to load.
 */
export function painted(what: "drafts" | "sign_in", pageMs: number): Promise<void> {
  return call("painted", { what, pageMs: Math.round(pageMs) });
}

export function draft(id: string): Promise<DraftView> {
  return call("draft", { id });
}

export function createDraft(columnId: number | null): Promise<DraftView> {
  return call("create_draft", { columnId });
}

/** The commissioned requests (约稿) naming the department, newest first, as last fetched. */
export function commissions(): Promise<CommissionView[]> {
  return call("commissions", {});
}

/** The department's standing in the office's ranking (评比), as last fetched. */
export function standing(): Promise<PeriodStanding[]> {
  return call("standing", {});
}

/** A new draft answering the request (its topic as the title, in its column). */
export function answerCommission(commissionId: number): Promise<DraftView> {
  return call("answer_commission", { commissionId });
}

export interface DraftEdit {
  id: string;
  columnId: number | null;
  title: string;
  bodyHtml: string;
}

export function saveDraft(edit: DraftEdit): Promise<DraftSummary> {
  return call("save_draft", {
    id: edit.id,
    columnId: edit.columnId,
    title: edit.title,
    bodyHtml: edit.bodyHtml,
  });
}

export function sendDraft(id: string): Promise<DraftView> {
  return call("send_draft", { id });
}

export function reviseDraft(id: string): Promise<DraftView> {
  return call("revise_draft", { id });
}

/** Attaches a file's bytes to a draft; the name travels URI-encoded in a header. */
export function attachFile(id: string, name: string, bytes: Uint8Array): Promise<DraftView> {
  return call("attach_file", bytes, {
    headers: { "draft-id": id, "file-name": encodeURIComponent(name) },
  });
}

export function detachFile(id: string, sha256: string): Promise<DraftView> {
  return call("detach_file", { id, sha256 });
}

/**
 * Bytes a command answered: raw (an ArrayBuffer), or, through the IPC fallback, an array of
 * numbers.
 */
function answeredBytes(command: string, data: ArrayBuffer | ArrayBufferView | number[]): ArrayBuffer {
  if (data instanceof ArrayBuffer) return data;
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
  }
  if (Array.isArray(data)) return Uint8Array.from(data).buffer;
  throw toDeskError(`${command} answered ${typeof data}, not bytes`);
}

/** The bytes of a file in the desk's store (an inline image to show). */
export async function readFile(sha256: string): Promise<ArrayBuffer> {
  return answeredBytes("read_file", await call<ArrayBuffer | ArrayBufferView | number[]>("read_file", { sha256 }));
}

export function syncNow(): Promise<SyncReport> {
  return call("sync_now");
}

/** The department's duty board, most urgent column first (works offline from the last fetch). */
export function board(): Promise<BoardView> {
  return call("board");
}

/** The notice centre's notices, newest first. */
export function notices(): Promise<NoticeView[]> {
  return call("notices");
}

/** Marks one notice read, or every notice when `id` is absent. */
export function markNoticesRead(id?: number | null): Promise<void> {
  return call("mark_notices_read", { id: id ?? null });
}

/** When desktop notifications may be raised (Beijing time). */
export function notifyHours(): Promise<NotifyHours> {
  return call("notify_hours");
}

/** Saves the notification hours; answers them as stored. Invalid hours reject with a DeskError. */
export function setNotifyHours(hours: NotifyHours): Promise<NotifyHours> {
  return call("set_notify_hours", { hours });
}

/** The window's language, in which the backend words desktop notifications. */
export function setLanguage(language: "zh-CN" | "en"): Promise<void> {
  return call("set_language", { language });
}

/** What the current version changed in the returned one before it (version 2 and later). */
export function revisionDiff(id: string): Promise<DiffLine[]> {
  return call("revision_diff", { id });
}

/** Records the paper sign-off of the draft's current version; `null` removes it. */
export function attest(id: string, attestation: Attestation | null): Promise<DraftView> {
  return call("attest", { id, attestation });
}

/** The item's history as this desk last heard it (works offline). */
export function timeline(id: string): Promise<ItemTimeline> {
  return call("timeline", { id });
}

/** The item's history fetched from the office now (needs the office). */
export function refreshTimeline(id: string): Promise<ItemTimeline> {
  return call("refresh_timeline", { id });
}

/** Writes in the thread of the item's latest sent version; answers the refreshed history. */
export function comment(id: string, text: string, quote: string | null): Promise<ItemTimeline> {
  return call("comment", { id, text, quote });
}

/** The department's items waiting for this seat's sign-off (responsible seat; needs the office). */
export function signoffQueue(): Promise<InboxItem[]> {
  return call("signoff_queue");
}

/** An item of the department as the office has it. */
export function officeItem(itemId: number): Promise<ItemDetail> {
  return call("office_item", { itemId });
}

/** The bytes of an image an item at the office shows inline (`liaison-file:<sha256>`). */
export async function officeItemImage(itemId: number, sha256: string): Promise<ArrayBuffer> {
  const data = await call<ArrayBuffer | ArrayBufferView | number[]>("office_item_image", { itemId, sha256 });
  return answeredBytes("office_item_image", data);
}

/** Signs an item off: it goes on to the editors. */
export function approve(itemId: number): Promise<ItemDetail> {
  return call("approve", { itemId });
}

/** Returns an item to its officer with a comment, optionally quoting a passage. */
export function returnItem(itemId: number, comment: string, quote: string | null): Promise<ItemDetail> {
  return call("return_item", { itemId, comment, quote });
}

/**
 * The successor signs in with the seat's one-time handover code and a new password of their
 * own; answers like a sign-in.
 */
export function redeemHandover(
  officeUrl: string,
  login: string,
  code: string,
  newPassword: string,
): Promise<SessionView> {
  return call("redeem_handover", { officeUrl, login, code, newPassword });
}

/**
 * Asks the office to hand this seat to `successor`. The desk delivers and backs up everything
 * first; while something is not at the office it rejects with `handover_blocked`.
 */
export function startHandover(successor: Successor): Promise<HandoverView> {
  return call("start_handover", { successor });
}

/** The seat's handovers, newest first (needs the office). */
export function handovers(): Promise<HandoverView[]> {
  return call("handovers");
}

/** The approved handover's one-time code; the office shows it once (then `not_found`). */
export function handoverCode(id: number): Promise<HandoverCode> {
  return call("handover_code", { id });
}

/** Who held this seat when (needs the office). */
export function holders(): Promise<Holder[]> {
  return call("holders");
}

/** The draft's pre-flight problems (blocking ones stop the send). */
export function preflight(id: string): Promise<Problem[]> {
  return call("preflight", { id });
}

/** The seat's import folder, or `null` when none is set. */
export function importFolder(): Promise<string | null> {
  return call("import_folder");
}

/** Sets the import folder (created if missing), or stops importing with `null`; answers it as stored. */
export function setImportFolder(dir: string | null): Promise<string | null> {
  return call("set_import_folder", { dir });
}

/** The import log, newest first. */
export function importLog(): Promise<ImportRecord[]> {
  return call("import_log");
}

/** Subscribes to `desk://changed`; resolves to an unsubscribe function. */
export async function onChanged(handler: () => void): Promise<() => void> {
  if (!hasDeskRuntime()) {
    throw { code: "internal", detail: RUNTIME_MISSING_DETAIL } satisfies DeskError;
  }
  try {
    return await listen(CHANGED_EVENT, () => handler());
  } catch (e) {
    throw toDeskError(e);
  }
}

/** The CA file the desk trusts besides the system's, and the offices trusted with a pinned certificate. */
export function trustSettings(): Promise<TrustView> {
  return call("trust_settings");
}

/** Sets the CA file the office handed out (it must hold a PEM certificate), or clears it with `null`. */
export function setCaFile(path: string | null): Promise<TrustView> {
  return call("set_ca_file", { path });
}

/** Trusts the office with exactly the certificate of this SHA-256 fingerprint (after comparing it). */
export function trustCertificate(officeUrl: string, fingerprint: string): Promise<TrustView> {
  return call("trust_certificate", { officeUrl, fingerprint });
}

/** Forgets the office's pinned certificate, after it announced a new one. */
export function forgetCertificate(officeUrl: string): Promise<TrustView> {
  return call("forget_certificate", { officeUrl });
}

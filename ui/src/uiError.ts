import { toDeskError } from "./api/desk";
import type { DeskError } from "./bindings/DeskError";

/** An error as shown to the user: an i18n key, its parameters, raw detail. */
export interface UiError {
  key: string;
  params?: Record<string, unknown>;
  detail?: string;
}

export function isUiError(value: unknown): value is UiError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.key === "string" &&
    (v.params === undefined || (typeof v.params === "object" && v.params !== null)) &&
    (v.detail === undefined || typeof v.detail === "string")
  );
}

/** A rejected desk command as an error banner: `errors.<code>` plus detail. */
export function fromDeskError(value: unknown): UiError {
  const e = toDeskError(value);
  return fromData(e) ?? { key: `errors.${e.code}`, detail: e.detail || undefined };
}

/** The errors the window words with the values they carry (`data`), whatever was asked: the
 * office's wait after too many attempts, the other seat whose items hold this desk. */
function fromData(e: DeskError): UiError | null {
  const detail = e.detail || undefined;
  if (e.data?.kind === "other_seat") {
    return { key: "errors.other_seat_unsent", params: { login: e.data.login }, detail };
  }
  if (e.data?.kind !== "office") return null;
  if (e.data.code === "too_many_attempts") {
    const secs = e.data.retry_after_secs;
    return secs
      ? { key: "errors.too_many_attempts", params: { minutes: Math.ceil(secs / 60) }, detail }
      : { key: "errors.too_many_attempts_later", detail };
  }
  return null;
}

export function deskErrorCode(value: unknown): string {
  return toDeskError(value).code;
}

/**
 * A failed action that needs the office now (nothing is queued for later): like
 * `fromDeskError`, but an unreachable office says so without promising a later send.
 */
export function fromOnlineError(value: unknown): UiError {
  const e = toDeskError(value);
  if (e.code === "office_unreachable") return { key: "errors.online_action", detail: e.detail || undefined };
  return fromDeskError(e);
}

/**
 * Whether a failure means this window's seat is gone: not signed in, or handed to a successor
 * (the desk signed itself out; the sign-in screen says why).
 */
export function endsSession(value: unknown): boolean {
  const code = deskErrorCode(value);
  return code === "not_signed_in" || code === "seat_handed_over";
}

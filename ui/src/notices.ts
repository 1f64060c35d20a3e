// Pure logic of the notice centre: each notice's sentence (the desktop notification's, from
// `notify.*`), its target and the unread count.
import type { NoticeView } from "./bindings/NoticeView";
import { daysText, dueDay } from "./board";
import type { Translate } from "./duty";

export type NoticeSentence =
  | "due_soon"
  | "overdue"
  | "still_overdue"
  | "urged"
  | "reviewed_accepted"
  | "reviewed_returned"
  | "reviewed_rejected"
  | "signed_off"
  | "signoff_requested"
  | "commented"
  | "commission_posted"
  | "commission_extended"
  | "commission_withdrawn";

/** Which `notify.<sentence>` a notice reads as (as the backend's notifications choose it). */
export function noticeSentence(n: Pick<NoticeView, "kind" | "facts">): NoticeSentence {
  switch (n.kind) {
    case "due_soon":
    case "overdue":
    case "still_overdue":
    case "urged":
    case "signoff_requested":
    case "commented":
      return n.kind;
    case "commissioned":
      switch (n.facts.commission) {
        case "extended":
          return "commission_extended";
        case "withdrawn":
          return "commission_withdrawn";
        default:
          return "commission_posted";
      }
    case "reviewed":
      switch (n.facts.review_state) {
        case "accepted":
          return "reviewed_accepted";
        case "rejected":
          return "reviewed_rejected";
        // Moved on to the editors: the department's responsible person signed it off.
        case "delivered":
          return "signed_off";
        default:
          return "reviewed_returned";
      }
  }
}

/** The sentence's parameters; facts a notice lacks read as "". */
export function noticeParams(
  n: Pick<NoticeView, "facts">,
  locale: string,
  t: Translate,
  now?: Date,
): Record<string, string> {
  const f = n.facts;
  return {
    column: f.column_name ?? "",
    days:
      f.overdue_days === null
        ? ""
        : daysText(f.overdue_days, f.working_days === true ? "working" : "calendar", t),
    due: f.due_at === null ? "" : dueDay(f.due_at, locale, now),
    message: f.message ?? "",
    by: f.urged_by ?? f.by ?? "",
    title: f.title ?? "",
    comment: f.review_comment ?? "",
  };
}

/** Title and body of a notice, e.g. "栏目已超期" / "「教育动态」已超期2个工作日，请尽快报送". */
export function noticeText(
  n: Pick<NoticeView, "kind" | "facts">,
  locale: string,
  t: Translate,
  now?: Date,
): { title: string; body: string } {
  const key = noticeSentence(n);
  const params = noticeParams(n, locale, t, now);
  return { title: t(`notify.${key}.title`, params), body: t(`notify.${key}.body`, params) };
}

export function unreadCount(notices: readonly Pick<NoticeView, "read">[]): number {
  return notices.reduce((sum, n) => sum + (n.read ? 0 : 1), 0);
}

/** The notices with one (`id`) or all (null) marked read; the others are kept as they are. */
export function withRead(notices: readonly NoticeView[], id: number | null): NoticeView[] {
  return notices.map((n) => (!n.read && (id === null || n.id === id) ? { ...n, read: true } : n));
}

export type NoticeTarget =
  | { kind: "draft"; draftId: string }
  | { kind: "column"; columnId: number }
  | { kind: "signoff"; itemId: number | null };

/**
 * What opening a notice shows: a sign-off request opens the sign-off view (on its item when
 * known); otherwise its draft, else a new item in its column, else nothing.
 */
export function noticeTarget(
  n: Pick<NoticeView, "kind" | "draft_id" | "column_id"> & { facts: Pick<NoticeView["facts"], "item_id"> },
): NoticeTarget | null {
  if (n.kind === "signoff_requested") return { kind: "signoff", itemId: n.facts.item_id ?? null };
  if (n.draft_id) return { kind: "draft", draftId: n.draft_id };
  if (n.column_id !== null) return { kind: "column", columnId: n.column_id };
  return null;
}

// Pure logic of the duty board: which rows to show and how each column's standing reads.
import type { BoardView } from "./bindings/BoardView";
import type { ColumnView } from "./bindings/ColumnView";
import type { DayKind } from "./bindings/DayKind";
import type { DutyState } from "./bindings/DutyState";
import type { DutyStatus } from "./bindings/DutyStatus";
import type { Translate } from "./duty";
import { beijingParts, formatBeijingDateTime, formatBeijingDay } from "./format";

/** Board data fetched longer ago than this may be outdated. */
export const STALE_AFTER_MS = 60 * 60 * 1000;

/** One row of the board; `status` is null for a column the office's board does not have yet. */
export interface BoardRow {
  column: ColumnView;
  status: DutyStatus | null;
}

/**
 * The rows to show, in the board's order (most urgent first). Columns the board does not know
 * (never fetched, or added since) follow without a status, so the list never loses a column.
 */
export function boardRows(board: BoardView | null, columns: readonly ColumnView[]): BoardRow[] {
  const rows: BoardRow[] = (board?.columns ?? []).map((c) => ({ column: c.column, status: c.status }));
  const onBoard = new Set(rows.map((r) => r.column.id));
  for (const column of columns) {
    if (!onBoard.has(column.id)) rows.push({ column, status: null });
  }
  return rows;
}

/** The row's `data-state`: the duty state, or "unknown" without a status. */
export function rowState(row: BoardRow): DutyState | "unknown" {
  return row.status?.state ?? "unknown";
}

/** "2个工作日" / "3天" (the notifications' wording). */
export function daysText(n: number, dayKind: DayKind, t: Translate): string {
  return t(dayKind === "working" ? "notify.days_working" : "notify.days_calendar", { n });
}

/** The state badge: "正常", "即将到期", "已超期 2个工作日". */
export function stateBadge(status: DutyStatus, t: Translate): string {
  switch (status.state) {
    case "ok":
      return t("board.state.ok", {});
    case "due_soon":
      return t("board.state.due_soon", {});
    case "overdue":
      return t("board.state.overdue", { days: daysText(status.overdue_days, status.day_kind, t) });
  }
}

/**
 * The last day to update on: the Beijing date of one second before `due_at` (a due instant is
 * the midnight after that day), e.g. "11月30日" or "2026-11-30".
 */
export function dueDay(dueAt: string, locale: string, now?: Date): string {
  const ms = Date.parse(dueAt);
  if (Number.isNaN(ms)) return dueAt;
  return formatBeijingDay(beijingParts(ms - 1000), locale, now);
}

/** "截止 11月30日". */
export function dueText(status: DutyStatus, locale: string, t: Translate, now?: Date): string {
  return t("board.due", { due: dueDay(status.due_at, locale, now) });
}

/** "最近更新 11月27日 10:00", or "尚无更新". */
export function lastUpdateText(status: DutyStatus, locale: string, t: Translate, now?: Date): string {
  return status.last_update
    ? t("board.last_update", { time: formatBeijingDateTime(status.last_update, locale, now) })
    : t("board.no_update", {});
}

/** For a count rule, the updates of the current period against the count: "本期已更新 1/4 条". */
export function periodText(row: BoardRow, t: Translate): string | null {
  const { status, column } = row;
  if (!status || status.period_count === null || column.duty.kind !== "min_count") return null;
  return t("board.period_count", { count: status.period_count, required: column.duty.count });
}

export interface Freshness {
  /** "数据更新于 11月27日 14:05" or "尚未从编辑部获取". */
  text: string;
  /** Never fetched. */
  never: boolean;
  /** Fetched more than an hour ago: possibly outdated. */
  stale: boolean;
}

/** How fresh the board's data is, from `fetched_at`, at `now`. */
export function freshness(fetchedAt: string | null, now: Date, locale: string, t: Translate): Freshness {
  if (!fetchedAt) return { text: t("board.never_fetched", {}), never: true, stale: false };
  const ms = Date.parse(fetchedAt);
  const stale = Number.isNaN(ms) || now.getTime() - ms > STALE_AFTER_MS;
  return {
    text: t("board.fetched", { time: formatBeijingDateTime(fetchedAt, locale, now) }),
    never: false,
    stale,
  };
}

import { describe, expect, it } from "vitest";

import type { BoardColumn } from "../bindings/BoardColumn";
import type { BoardView } from "../bindings/BoardView";
import type { ColumnView } from "../bindings/ColumnView";
import type { DutyStatus } from "../bindings/DutyStatus";
import {
  boardRows,
  daysText,
  dueDay,
  dueText,
  freshness,
  lastUpdateText,
  periodText,
  rowState,
  STALE_AFTER_MS,
  stateBadge,
} from "../board";
import type { Translate } from "../duty";
import { makeI18n, type Locale } from "../i18n";

function translator(locale: Locale): Translate {
  const { t } = makeI18n(locale).global;
  return (key, named) => t(key, named);
}

const zh = translator("zh-CN");
const en = translator("en");

function column(id: number, name: string, duty: ColumnView["duty"] = { kind: "max_gap", amount: 1, unit: "working_days" }): ColumnView {
  return { id, department_id: 1, name, path: `政务公开/${name}`, feed: "submission", duty, level: "second" };
}

function status(over: Partial<DutyStatus> = {}): DutyStatus {
  return {
    last_update: "2026-11-27T02:00:00Z",
    due_at: "2026-11-30T16:00:00Z", // midnight after 12月1日 in Beijing
    state: "ok",
    overdue_days: 0,
    day_kind: "working",
    period_count: null,
    ...over,
  };
}

function boardColumn(c: ColumnView, s: DutyStatus): BoardColumn {
  return { column: c, since: "2026-01-01T00:00:00Z", updates: [], status: s };
}

describe("stateBadge", () => {
  it("names the state, with the days late counted in the rule's days", () => {
    expect(stateBadge(status(), zh)).toBe("正常");
    expect(stateBadge(status({ state: "due_soon" }), zh)).toBe("即将到期");
    expect(stateBadge(status({ state: "overdue", overdue_days: 2 }), zh)).toBe("已超期 2个工作日");
    expect(stateBadge(status({ state: "overdue", overdue_days: 5, day_kind: "calendar" }), zh)).toBe(
      "已超期 5天",
    );
    expect(stateBadge(status({ state: "ok" }), en)).toBe("On track");
    expect(stateBadge(status({ state: "due_soon" }), en)).toBe("Due soon");
    expect(stateBadge(status({ state: "overdue", overdue_days: 2 }), en)).toBe(
      "Overdue by 2 working day(s)",
    );
  });

  it("uses the notifications' day words", () => {
    expect(daysText(3, "working", zh)).toBe("3个工作日");
    expect(daysText(3, "calendar", zh)).toBe("3天");
    expect(daysText(1, "calendar", en)).toBe("1 day(s)");
  });
});

describe("dueDay", () => {
  it("is the Beijing date of one second before the due instant", () => {
    // 2026-12-01 00:00 Beijing: the last day to update on is 11月30日.
    expect(dueDay("2026-11-30T16:00:00Z", "zh-CN")).toBe("11月30日");
    expect(dueDay("2026-12-01T00:00:00+08:00", "zh-CN")).toBe("11月30日");
    expect(dueDay("2026-11-30T16:00:00Z", "en")).toBe("2026-11-30");
  });

  it("does not move a due instant inside a day to the day before", () => {
    expect(dueDay("2026-11-30T12:00:00+08:00", "zh-CN")).toBe("11月30日");
  });

  it("crosses the UTC date line correctly", () => {
    // 2026-11-30 20:00 UTC is 12月1日 04:00 in Beijing.
    expect(dueDay("2026-11-30T20:00:00Z", "zh-CN")).toBe("12月1日");
  });

  it("adds the year when it is not the current one", () => {
    const now = new Date("2026-12-20T02:00:00Z");
    expect(dueDay("2027-01-04T16:00:00Z", "zh-CN", now)).toBe("2027年1月4日");
    expect(dueDay("2026-12-31T16:00:00Z", "zh-CN", now)).toBe("12月31日");
    // 2026-12-31 20:00 UTC is already 2027 in Beijing.
    expect(dueDay("2026-12-31T16:00:00Z", "zh-CN", new Date("2026-12-31T20:00:00Z"))).toBe(
      "2026年12月31日",
    );
  });

  it("reads in a sentence", () => {
    expect(dueText(status(), "zh-CN", zh)).toBe("截止 11月30日");
    expect(dueText(status(), "en", en)).toBe("Due 2026-11-30");
  });

  it("shows an unparseable instant as it is", () => {
    expect(dueDay("soon", "zh-CN")).toBe("soon");
  });
});

describe("lastUpdateText", () => {
  it("shows the last update in Beijing time, or that there is none", () => {
    expect(lastUpdateText(status(), "zh-CN", zh)).toBe("最近更新 11月27日 10:00");
    expect(lastUpdateText(status(), "en", en)).toBe("Last update 2026-11-27 10:00");
    expect(lastUpdateText(status({ last_update: null }), "zh-CN", zh)).toBe("尚无更新");
    expect(lastUpdateText(status({ last_update: null }), "en", en)).toBe("No updates yet");
  });
});

describe("periodText", () => {
  it("counts the period's updates against a count rule only", () => {
    const counted = column(2, "政策解读", { kind: "min_count", count: 4, period: "month" });
    expect(periodText({ column: counted, status: status({ period_count: 1, day_kind: "calendar" }) }, zh)).toBe(
      "本期已更新 1/4 条",
    );
    expect(periodText({ column: column(1, "教育动态"), status: status() }, zh)).toBeNull();
    expect(periodText({ column: counted, status: null }, zh)).toBeNull();
  });
});

describe("freshness", () => {
  const fetched = "2026-11-27T06:05:00Z"; // 14:05 Beijing

  it("says when the data was fetched", () => {
    const f = freshness(fetched, new Date("2026-11-27T06:30:00Z"), "zh-CN", zh);
    expect(f).toEqual({ text: "数据更新于 11月27日 14:05", never: false, stale: false });
    expect(freshness(fetched, new Date("2026-11-27T06:30:00Z"), "en", en).text).toBe(
      "Data as of 2026-11-27 14:05",
    );
  });

  it("marks data older than an hour as possibly outdated", () => {
    const at = Date.parse(fetched);
    expect(freshness(fetched, new Date(at + STALE_AFTER_MS), "zh-CN", zh).stale).toBe(false);
    expect(freshness(fetched, new Date(at + STALE_AFTER_MS + 1000), "zh-CN", zh).stale).toBe(true);
  });

  it("says when the data was never fetched", () => {
    expect(freshness(null, new Date(), "zh-CN", zh)).toEqual({
      text: "尚未从编辑部获取",
      never: true,
      stale: false,
    });
    expect(freshness(null, new Date(), "en", en).text).toBe("Not yet fetched from the office");
  });
});

describe("boardRows", () => {
  const news = column(1, "教育动态");
  const policy = column(2, "政策解读");
  const notices = column(3, "通知公告");

  it("keeps the board's order (most urgent first)", () => {
    const board: BoardView = {
      columns: [
        boardColumn(policy, status({ state: "overdue", overdue_days: 3 })),
        boardColumn(news, status({ state: "due_soon" })),
        boardColumn(notices, status()),
      ],
      fetched_at: "2026-11-27T06:05:00Z",
      computed_at: "2026-11-27T06:30:00Z",
    };
    const rows = boardRows(board, [news, policy, notices]);
    expect(rows.map((r) => r.column.id)).toEqual([2, 1, 3]);
    expect(rows.map(rowState)).toEqual(["overdue", "due_soon", "ok"]);
  });

  it("falls back to the columns when the board is empty or missing", () => {
    const empty: BoardView = { columns: [], fetched_at: null, computed_at: "2026-11-27T06:30:00Z" };
    for (const board of [empty, null]) {
      const rows = boardRows(board, [news, policy]);
      expect(rows.map((r) => r.column.id)).toEqual([1, 2]);
      expect(rows.every((r) => r.status === null)).toBe(true);
      expect(rows.map(rowState)).toEqual(["unknown", "unknown"]);
    }
  });

  it("lists columns the board does not know yet after the board's", () => {
    const board: BoardView = {
      columns: [boardColumn(policy, status())],
      fetched_at: "2026-11-27T06:05:00Z",
      computed_at: "2026-11-27T06:30:00Z",
    };
    expect(boardRows(board, [news, policy]).map((r) => [r.column.id, rowState(r)])).toEqual([
      [2, "ok"],
      [1, "unknown"],
    ]);
  });
});

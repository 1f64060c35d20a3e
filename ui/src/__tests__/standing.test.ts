import { describe, expect, it } from "vitest";

import type { PeriodStanding } from "../bindings/PeriodStanding";
import { periodKey, periodName, ranked, shownLines } from "../standing";

function standing(place: number | null, lines: PeriodStanding["lines"]): PeriodStanding {
  return {
    period: { kind: "month", year: 2026, month: 11 },
    closed: true,
    place,
    ranked: 9,
    total: lines.reduce((sum, l) => sum + l.points, 0),
    lines,
  };
}

describe("standing", () => {
  it("names periods as the office does in its addresses", () => {
    expect(periodKey({ kind: "month", year: 2026, month: 3 })).toBe("2026-03");
    expect(periodKey({ kind: "quarter", year: 2026, quarter: 4 })).toBe("2026-Q4");
    expect(periodKey({ kind: "year", year: 2027 })).toBe("2027");
    expect(periodName({ kind: "quarter", year: 2026, quarter: 4 })).toEqual({
      key: "standing.period.quarter",
      params: { year: 2026, quarter: 4 },
    });
  });

  it("shows the lines that scored, the largest effect first, and tells an unranked department", () => {
    const s = standing(2, [
      { rule: "accepted_item", count: 3, each: 1, points: 3 },
      { rule: "commission_in_time", count: 0, each: 5, points: 0 },
      { rule: "overdue_column_day", count: 12, each: -1, points: -12 },
    ]);
    expect(shownLines(s).map((l) => l.rule)).toEqual(["overdue_column_day", "accepted_item"]);
    expect(ranked(s)).toBe(true);
    expect(ranked(standing(null, []))).toBe(false);
  });
});

// Pure logic of the standing panel: how a ranking period and a department's place read.
import type { PeriodStanding } from "./bindings/PeriodStanding";
import type { RankPeriod } from "./bindings/RankPeriod";

/** The i18n key and parameters naming a period ("2026年11月", "2026年第4季度", "2026年度"). */
export function periodName(p: RankPeriod): { key: string; params: Record<string, number> } {
  switch (p.kind) {
    case "month":
      return { key: "standing.period.month", params: { year: p.year, month: p.month } };
    case "quarter":
      return { key: "standing.period.quarter", params: { year: p.year, quarter: p.quarter } };
    case "year":
      return { key: "standing.period.year", params: { year: p.year } };
  }
}

/** A stable id for a period (as the office names it in addresses: 2026-11, 2026-Q4, 2026). */
export function periodKey(p: RankPeriod): string {
  switch (p.kind) {
    case "month":
      return `${p.year}-${String(p.month).padStart(2, "0")}`;
    case "quarter":
      return `${p.year}-Q${p.quarter}`;
    case "year":
      return `${p.year}`;
  }
}

/** Whether the department was ranked in the period at all. */
export function ranked(s: Pick<PeriodStanding, "place">): boolean {
  return s.place !== null;
}

/** The lines worth showing: those that gave or took points, largest effect first. */
export function shownLines(s: Pick<PeriodStanding, "lines">): PeriodStanding["lines"] {
  return s.lines
    .filter((l) => l.count > 0)
    .sort((a, b) => Math.abs(b.points) - Math.abs(a.points));
}

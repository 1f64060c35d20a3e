import { describe, expect, it } from "vitest";

import type { CommissionView } from "../bindings/CommissionView";
import type { Standing } from "../bindings/Standing";
import { answerBy, owed, ownStanding, panelOrder } from "../commissions";

function request(id: number, due_at: string, standing: Standing, state: "open" | "withdrawn" = "open"): CommissionView {
  return {
    id,
    topic: `专题${id}`,
    requirements: "",
    column_id: null,
    column_name: null,
    due_at,
    state,
    posted_at: "2026-11-27T02:00:00Z",
    posted_by: "钱晓东",
    targets: [
      {
        department_id: 1,
        department_name: "市教育局",
        standing,
        answered_at: null,
        item_id: null,
        receipt: null,
      },
    ],
  };
}

describe("the commissions panel", () => {
  it("owes only open requests not yet answered", () => {
    expect(owed(request(1, "2026-12-01T16:00:00Z", "waiting"))).toBe(true);
    expect(owed(request(2, "2026-12-01T16:00:00Z", "late"))).toBe(true);
    expect(owed(request(3, "2026-12-01T16:00:00Z", "answered_in_time"))).toBe(false);
    expect(owed(request(4, "2026-12-01T16:00:00Z", "released", "withdrawn"))).toBe(false);
    expect(ownStanding({ targets: [] })).toBeNull();
  });

  it("puts what is owed first, the earliest due first", () => {
    const order = panelOrder([
      request(1, "2026-12-09T16:00:00Z", "answered_late"),
      request(2, "2026-12-09T16:00:00Z", "waiting"),
      request(3, "2026-12-02T16:00:00Z", "late"),
    ]).map((c) => c.id);
    expect(order).toEqual([3, 2, 1]);
  });

  it("gives the last day to answer on", () => {
    const now = new Date("2026-11-30T02:00:00Z");
    expect(answerBy(request(1, "2026-12-01T16:00:00Z", "waiting"), "zh-CN", now)).toBe("12月1日");
  });
});

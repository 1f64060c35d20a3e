import { describe, expect, it } from "vitest";

import type { DutyRule } from "../bindings/DutyRule";
import { describeDuty, type Translate } from "../duty";
import { makeI18n, type Locale } from "../i18n";

function translator(locale: Locale): Translate {
  const { t } = makeI18n(locale).global;
  return (key, named) => t(key, named);
}

const cases: Array<[DutyRule, string, string]> = [
  [{ kind: "max_gap", amount: 1, unit: "working_days" }, "每个工作日至少更新1条", "At least 1 item every working day"],
  [{ kind: "max_gap", amount: 3, unit: "working_days" }, "3个工作日内至少更新1条", "At least 1 item every 3 working days"],
  [{ kind: "max_gap", amount: 1, unit: "days" }, "每天至少更新1条", "At least 1 item every day"],
  [{ kind: "max_gap", amount: 2, unit: "days" }, "2天内至少更新1条", "At least 1 item every 2 days"],
  [{ kind: "max_gap", amount: 1, unit: "weeks" }, "每周至少更新1条", "At least 1 item every week"],
  [{ kind: "max_gap", amount: 2, unit: "weeks" }, "2周内至少更新1条", "At least 1 item every 2 weeks"],
  [{ kind: "max_gap", amount: 1, unit: "months" }, "每月至少更新1条", "At least 1 item every month"],
  [{ kind: "max_gap", amount: 6, unit: "months" }, "6个月内至少更新1条", "At least 1 item every 6 months"],
  [{ kind: "max_gap", amount: 1, unit: "years" }, "每年至少更新1条", "At least 1 item every year"],
  [{ kind: "max_gap", amount: 2, unit: "years" }, "2年内至少更新1条", "At least 1 item every 2 years"],
  [{ kind: "min_count", count: 4, period: "month" }, "每月至少更新4条", "At least 4 items per month"],
  [{ kind: "min_count", count: 1, period: "month" }, "每月至少更新1条", "At least 1 item per month"],
  [{ kind: "min_count", count: 2, period: "week" }, "每周至少更新2条", "At least 2 items per week"],
  [{ kind: "min_count", count: 1, period: "week" }, "每周至少更新1条", "At least 1 item per week"],
  [{ kind: "min_count", count: 3, period: "quarter" }, "每季度至少更新3条", "At least 3 items per quarter"],
  [{ kind: "min_count", count: 12, period: "year" }, "每年至少更新12条", "At least 12 items per year"],
];

describe("describeDuty", () => {
  const zh = translator("zh-CN");
  const en = translator("en");

  it.each(cases)("%j", (rule, zhText, enText) => {
    expect(describeDuty(rule, zh)).toBe(zhText);
    expect(describeDuty(rule, en)).toBe(enText);
  });

  it("never falls back to the raw key", () => {
    for (const [rule] of cases) {
      expect(describeDuty(rule, zh)).not.toMatch(/^duty\./);
    }
  });
});

import type { DutyRule } from "./bindings/DutyRule";

/** Translation function shape shared by vue-i18n's `t` and the tests. */
export type Translate = (key: string, named: Record<string, unknown>) => string;

/**
 * The publishing duty of a column as one plain sentence, e.g.
 * "每个工作日至少更新1条" or "6个月内至少更新1条". Templates are chosen in code
 * (singular "one" vs "many"), so the messages need no pluralisation syntax.
 */
export function describeDuty(rule: DutyRule, t: Translate): string {
  switch (rule.kind) {
    case "max_gap": {
      const form = rule.amount === 1 ? "one" : "many";
      return t(`duty.max_gap.${form}.${rule.unit}`, { amount: rule.amount });
    }
    case "min_count": {
      const form = rule.count === 1 ? "one" : "many";
      return t(`duty.min_count.${form}.${rule.period}`, { count: rule.count });
    }
  }
}

// Pure logic of the commissions panel: which requests the department still owes, in what
// order, and how each reads.
import type { CommissionView } from "./bindings/CommissionView";
import type { Standing } from "./bindings/Standing";
import { dueDay } from "./board";

/** The department's own standing on a request (the office sends only its own). */
export function ownStanding(c: Pick<CommissionView, "targets">): Standing | null {
  return c.targets[0]?.standing ?? null;
}

/** Whether the department may still answer: the request is open and not answered yet. */
export function owed(c: Pick<CommissionView, "state" | "targets">): boolean {
  const s = ownStanding(c);
  return c.state === "open" && (s === "waiting" || s === "late");
}

/** Owed requests first, the earliest due first; then the rest, newest first (as given). */
export function panelOrder(list: CommissionView[]): CommissionView[] {
  const open = list.filter(owed).sort((a, b) => Date.parse(a.due_at) - Date.parse(b.due_at));
  const rest = list.filter((c) => !owed(c));
  return [...open, ...rest];
}

/** The last day to answer on, as the board writes due days. */
export function answerBy(c: Pick<CommissionView, "due_at">, locale: string, now?: Date): string {
  return dueDay(c.due_at, locale, now);
}

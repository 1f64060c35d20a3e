// Pure logic of an item's history on the desk: when it is shown, when the office can be
// written to, and how the revision diff marks its lines.
import type { DiffKind } from "./bindings/DiffKind";
import type { DraftView } from "./bindings/DraftView";
import type { ItemTimeline } from "./bindings/ItemTimeline";
import type { TimelineEntry } from "./bindings/TimelineEntry";

/** Whether a draft has been sent at least once (so it has a history to show). */
export function hasBeenSent(d: Pick<DraftView, "version" | "state">): boolean {
  return d.version > 1 || d.state !== "draft";
}

/** Whether the office has a version of the item (one with a receipt), so comments can go there. */
export function officeHasItem(t: ItemTimeline | null): boolean {
  return t !== null && t.versions.some((v) => v.receipt !== null && v.receipt !== "");
}

/** The i18n key of an entry's kind, e.g. "timeline.kind.returned". */
export function entryKindKey(e: Pick<TimelineEntry, "kind">): string {
  return `timeline.kind.${e.kind}`;
}

/** The i18n key of a role, e.g. "role.responsible". */
export function roleKey(role: TimelineEntry["actor_role"]): string {
  return `role.${role}`;
}

/** The visible mark of a diff line, so the kind reads without colour. */
export function diffMark(kind: DiffKind): string {
  switch (kind) {
    case "added":
      return "+";
    case "removed":
      return "−";
    case "same":
      return " ";
  }
}

/** How many lines were added and removed. */
export function diffCounts(lines: readonly { kind: DiffKind }[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const l of lines) {
    if (l.kind === "added") added += 1;
    else if (l.kind === "removed") removed += 1;
  }
  return { added, removed };
}

// Pre-flight problems of a draft as the editor shows them: one sentence per rule, a badge per
// severity, the field's name. Pure: the component only translates the keys.
import type { Field } from "./bindings/Field";
import type { ImportOutcome } from "./bindings/ImportOutcome";
import type { ImportRecord } from "./bindings/ImportRecord";
import type { Problem } from "./bindings/Problem";
import type { Rule } from "./bindings/Rule";
import type { Severity } from "./bindings/Severity";

/** An i18n key with its parameters. */
export interface Message {
  key: string;
  params: Record<string, string | number>;
}

/** Every rule the desk checks, in the order of the generated union. */
export const RULES: readonly Rule[] = [
  "no_column",
  "no_title",
  "title_too_long",
  "empty_body",
  "image_without_alt",
  "bad_attachment",
  "malformed_link",
  "insecure_link",
  "forbidden_word",
  "misspelling",
];

/** How long after the last edit (or save) the desk is asked again. */
export const PREFLIGHT_DELAY_MS = 800;

/** The sentence that says what is wrong. */
export function problemMessage(p: Problem): Message {
  const found = p.found ?? "";
  switch (p.rule) {
    case "title_too_long":
      return { key: "preflight.rule.title_too_long", params: { max: p.at ?? 200 } };
    case "misspelling":
      return {
        key: "preflight.rule.misspelling",
        params: { found, suggestion: p.suggestion ?? "" },
      };
    case "forbidden_word":
    case "malformed_link":
    case "insecure_link":
    case "bad_attachment":
      return { key: `preflight.rule.${p.rule}`, params: { found } };
    default:
      return { key: `preflight.rule.${p.rule}`, params: {} };
  }
}

export function severityKey(s: Severity): string {
  return `preflight.severity.${s}`;
}

export function fieldKey(f: Field): string {
  return `preflight.field.${f}`;
}

/** The excerpt worth showing: trimmed, empty when there is none, shortened past `max` chars. */
export function excerptText(p: Problem, max = 40): string {
  const text = p.excerpt.replace(/\s+/g, " ").trim();
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max).join("")}…` : text;
}

export function isBlocking(p: Problem): boolean {
  return p.severity === "blocking";
}

export function blockingCount(problems: readonly Problem[]): number {
  return problems.filter(isBlocking).length;
}

export function warningCount(problems: readonly Problem[]): number {
  return problems.length - blockingCount(problems);
}

/** Blocking problems first; otherwise the desk's order (field, then place). */
export function sortedProblems(problems: readonly Problem[]): Problem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => Number(isBlocking(b.p)) - Number(isBlocking(a.p)) || a.i - b.i)
    .map(({ p }) => p);
}

/** A stable key for a problem row. */
export function problemKey(p: Problem, index: number): string {
  return `${p.rule}:${p.field}:${p.at ?? "-"}:${p.found ?? ""}:${index}`;
}

// --- the import log ------------------------------------------------------------------------------

export function outcomeKey(o: ImportOutcome): string {
  return `import.outcome.${o}`;
}

/** Newest first (RFC 3339 instants; unparseable ones last, in their order). */
export function sortedImportLog(records: readonly ImportRecord[]): ImportRecord[] {
  const time = (r: ImportRecord) => {
    const ms = Date.parse(r.at);
    return Number.isNaN(ms) ? -Infinity : ms;
  };
  return records
    .map((r, i) => ({ r, i }))
    .sort((a, b) => time(b.r) - time(a.r) || a.i - b.i)
    .map(({ r }) => r);
}

/** The import folder as typed: trimmed; `null` when empty (no folder). */
export function folderInput(text: string): string | null {
  const t = text.trim();
  return t === "" ? null : t;
}

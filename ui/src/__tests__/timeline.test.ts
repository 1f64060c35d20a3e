import { describe, expect, it } from "vitest";

import type { ItemTimeline } from "../bindings/ItemTimeline";
import type { Role } from "../bindings/Role";
import type { TimelineKind } from "../bindings/TimelineKind";
import { makeI18n } from "../i18n";
import { diffCounts, diffMark, entryKindKey, hasBeenSent, officeHasItem, roleKey } from "../timeline";

const zh = makeI18n("zh-CN").global;
const en = makeI18n("en").global;

describe("hasBeenSent", () => {
  it("is false only for a first version still being drafted", () => {
    expect(hasBeenSent({ version: 1, state: "draft" })).toBe(false);
    expect(hasBeenSent({ version: 1, state: "queued" })).toBe(true);
    expect(hasBeenSent({ version: 1, state: "awaiting_signoff" })).toBe(true);
    expect(hasBeenSent({ version: 2, state: "draft" })).toBe(true);
  });
});

describe("officeHasItem", () => {
  const base: ItemTimeline = { drafted_at: "2026-11-20T01:00:00Z", versions: [] };

  it("needs a version with a receipt", () => {
    expect(officeHasItem(null)).toBe(false);
    expect(officeHasItem(base)).toBe(false);
    const queued = { ...base, versions: [{ version: 1, sent_at: "2026-11-20T02:00:00Z", receipt: null, entries: [] }] };
    expect(officeHasItem(queued)).toBe(false);
    const delivered = {
      ...base,
      versions: [
        { version: 1, sent_at: "2026-11-20T02:00:00Z", receipt: "R-2026-0001", entries: [] },
        { version: 2, sent_at: "2026-11-21T02:00:00Z", receipt: null, entries: [] },
      ],
    };
    expect(officeHasItem(delivered)).toBe(true);
  });
});

describe("labels", () => {
  it("has a label for every timeline kind and role, in both languages", () => {
    const kinds: TimelineKind[] = [
      "delivered",
      "attested",
      "awaiting_signoff",
      "signed_off",
      "accepted",
      "returned",
      "rejected",
      "comment",
    ];
    const roles: Role[] = ["officer", "responsible", "editor", "admin"];
    for (const t of [zh.t, en.t]) {
      for (const kind of kinds) expect(t(entryKindKey({ kind }))).not.toMatch(/^timeline\./);
      for (const role of roles) expect(t(roleKey(role))).not.toMatch(/^role\./);
    }
    expect(zh.t(entryKindKey({ kind: "signed_off" }))).toBe("部门已签发");
    expect(zh.t("timeline.actor", { actor: "李建国", role: zh.t(roleKey("responsible")) })).toBe(
      "李建国（部门负责人）",
    );
  });
});

describe("diff marks", () => {
  it("marks added and removed lines without relying on colour", () => {
    expect(diffMark("added")).toBe("+");
    expect(diffMark("removed")).toBe("−");
    expect(diffMark("same").trim()).toBe("");
  });

  it("counts the changed lines", () => {
    expect(
      diffCounts([{ kind: "same" }, { kind: "added" }, { kind: "added" }, { kind: "removed" }]),
    ).toEqual({ added: 2, removed: 1 });
    expect(diffCounts([])).toEqual({ added: 0, removed: 0 });
  });
});

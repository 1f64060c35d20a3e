import { describe, expect, it } from "vitest";

import { DESK_ERROR_CODES } from "../api/desk";
import draftNoticeSource from "../bindings/DraftNotice.ts?raw";
import en from "../i18n/en.json";
import zhCN from "../i18n/zh-CN.json";

type Tree = { [key: string]: string | Tree };

function leaves(tree: Tree, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (typeof v === "string") out.set(path, v);
    else for (const [p, s] of leaves(v, path)) out.set(p, s);
  }
  return out;
}

const zh = leaves(zhCN as Tree);
const eng = leaves(en as Tree);
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("i18n message files", () => {
  it("zh-CN and en have identical key sets", () => {
    expect([...eng.keys()].sort()).toEqual([...zh.keys()].sort());
  });

  it("every message is a non-empty string", () => {
    for (const [key, value] of [...zh, ...eng]) {
      expect(value.trim(), key).not.toBe("");
    }
  });

  it("the two languages use the same placeholders", () => {
    for (const [key, value] of zh) {
      expect(placeholders(eng.get(key) ?? ""), key).toEqual(placeholders(value));
    }
  });

  it("no message uses vue-i18n plural or linked syntax by accident", () => {
    for (const [key, value] of [...zh, ...eng]) {
      expect(value, key).not.toMatch(/[|@$%]/);
    }
  });

  it("has a message for every DeskErrorCode", () => {
    for (const code of DESK_ERROR_CODES) {
      expect(zh.has(`errors.${code}`), code).toBe(true);
    }
  });

  it("has a banner and a list marker for every draft notice", () => {
    const union = draftNoticeSource.match(/export type DraftNotice = ([^;]+);/)?.[1] ?? "";
    const notices = [...union.matchAll(/"(\w+)"/g)].map((m) => m[1]);
    expect(notices).toContain("sent_elsewhere");
    for (const n of notices) {
      expect(zh.has(`notice.${n}`), n).toBe(true);
      expect(zh.has(`notice.marker.${n}`), n).toBe(true);
    }
  });

  it("has labels for every state and feed method", () => {
    for (const s of ["draft", "queued", "awaiting_signoff", "delivered", "accepted", "returned", "rejected"]) {
      expect(zh.has(`state.${s}`), s).toBe(true);
    }
    for (const f of ["submission", "scraping", "link", "co_editing"]) {
      expect(zh.has(`feed.${f}`), f).toBe(true);
    }
  });

  it("has a label for every diff kind and a sentence for every sign-off problem", () => {
    for (const k of ["same", "added", "removed"]) {
      expect(zh.has(`diff.kind.${k}`), k).toBe(true);
    }
    for (const p of ["no_approver", "approver_too_long", "approver_not_one_line", "bad_date", "future_date", "no_form", "form_not_attached"]) {
      expect(zh.has(`attest.problem.${p}`), p).toBe(true);
    }
  });

  it("has a badge for every duty state and a sentence for every notice", () => {
    for (const s of ["ok", "due_soon", "overdue"]) {
      expect(zh.has(`board.state.${s}`), s).toBe(true);
    }
    const sentences = [
      "due_soon",
      "overdue",
      "still_overdue",
      "urged",
      "reviewed_accepted",
      "reviewed_returned",
      "reviewed_rejected",
      "signed_off",
      "signoff_requested",
      "commented",
    ];
    for (const n of sentences) {
      expect(zh.has(`notify.${n}.title`), n).toBe(true);
      expect(zh.has(`notify.${n}.body`), n).toBe(true);
    }
  });
});

import { describe, expect, it } from "vitest";

import type { ImportRecord } from "../bindings/ImportRecord";
import type { Problem } from "../bindings/Problem";
import ruleSource from "../bindings/Rule.ts?raw";
import { makeI18n } from "../i18n";
import {
  RULES,
  blockingCount,
  excerptText,
  fieldKey,
  folderInput,
  outcomeKey,
  problemMessage,
  severityKey,
  sortedImportLog,
  sortedProblems,
  warningCount,
} from "../preflight";

const zh = makeI18n("zh-CN").global;
const en = makeI18n("en").global;

function problem(over: Partial<Problem> = {}): Problem {
  return {
    rule: "no_title",
    severity: "blocking",
    field: "title",
    at: null,
    excerpt: "",
    found: null,
    suggestion: null,
    ...over,
  };
}

function say(p: Problem, i18n = zh): string {
  const m = problemMessage(p);
  return i18n.t(m.key, m.params);
}

describe("pre-flight messages", () => {
  it("lists the generated Rule union", () => {
    const union = ruleSource.match(/export type Rule = ([^;]+);/)?.[1] ?? "";
    expect([...RULES]).toEqual([...union.matchAll(/"(\w+)"/g)].map((m) => m[1]));
  });

  it("has a sentence for every rule in both languages", () => {
    for (const rule of RULES) {
      const key = problemMessage(problem({ rule })).key;
      expect(zh.te(key), rule).toBe(true);
      expect(en.te(key), rule).toBe(true);
    }
  });

  it("names the word, the link and the correction", () => {
    expect(say(problem({ rule: "forbidden_word", field: "body", found: "绝密" }))).toBe("含有禁用词「绝密」");
    expect(
      say(problem({ rule: "misspelling", severity: "warning", found: "既使", suggestion: "即使" })),
    ).toBe("「既使」疑为错别字，应为「即使」");
    expect(say(problem({ rule: "image_without_alt", field: "body" }))).toBe("图片缺少替代文字（无障碍要求）");
    expect(say(problem({ rule: "insecure_link", severity: "warning", found: "http://a.cn" }))).toBe(
      "链接不是 HTTPS：http://a.cn",
    );
    expect(say(problem({ rule: "malformed_link", found: "www" }))).toBe("链接格式不正确：www");
    expect(say(problem({ rule: "title_too_long", at: 200 }))).toContain("200");
    expect(say(problem({ rule: "misspelling", found: "既使", suggestion: "即使" }), en)).toContain("即使");
  });

  it("labels severities and fields", () => {
    expect(zh.t(severityKey("blocking"))).toBe("必须修改");
    expect(zh.t(severityKey("warning"))).toBe("建议修改");
    expect(zh.t(fieldKey("title"))).toBe("标题");
    expect(zh.t(fieldKey("body"))).toBe("正文");
    expect(zh.t(fieldKey("attachments"))).toBe("附件");
    expect(zh.t(fieldKey("column"))).toBe("栏目");
  });

  it("counts and orders blocking problems first, keeping the desk's order otherwise", () => {
    const list = [
      problem({ rule: "misspelling", severity: "warning", at: 1 }),
      problem({ rule: "forbidden_word", at: 5 }),
      problem({ rule: "insecure_link", severity: "warning", at: 9 }),
      problem({ rule: "image_without_alt", at: 12 }),
    ];
    expect(blockingCount(list)).toBe(2);
    expect(warningCount(list)).toBe(2);
    expect(sortedProblems(list).map((p) => p.rule)).toEqual([
      "forbidden_word",
      "image_without_alt",
      "misspelling",
      "insecure_link",
    ]);
    expect(blockingCount([])).toBe(0);
  });

  it("tidies and shortens excerpts", () => {
    expect(excerptText(problem({ excerpt: "  第一段\n第二段 " }))).toBe("第一段 第二段");
    expect(excerptText(problem({ excerpt: "长".repeat(50) }), 10)).toBe(`${"长".repeat(10)}…`);
    expect(excerptText(problem())).toBe("");
  });
});

describe("import helpers", () => {
  const record = (over: Partial<ImportRecord>): ImportRecord => ({
    name: "a.docx",
    at: "2026-11-27T06:00:00Z",
    outcome: "imported",
    draft_id: "d1",
    reason: null,
    moved_to: null,
    ...over,
  });

  it("labels every outcome", () => {
    expect(zh.t(outcomeKey("imported"))).toBe("已导入");
    expect(zh.t(outcomeKey("duplicate"))).toBe("重复，未再导入");
    expect(zh.t(outcomeKey("failed"))).toBe("失败");
    for (const o of ["imported", "duplicate", "failed"] as const) expect(en.te(outcomeKey(o))).toBe(true);
  });

  it("shows the log newest first", () => {
    const log = [
      record({ name: "old", at: "2026-11-26T06:00:00Z" }),
      record({ name: "bad", at: "not a time" }),
      record({ name: "new", at: "2026-11-27T06:00:00+08:00" }),
      record({ name: "newest", at: "2026-11-27T06:00:00Z" }),
    ];
    expect(sortedImportLog(log).map((r) => r.name)).toEqual(["newest", "new", "old", "bad"]);
  });

  it("reads the folder field", () => {
    expect(folderInput("  /home/a/导入 ")).toBe("/home/a/导入");
    expect(folderInput("   ")).toBeNull();
  });
});

import { describe, expect, it } from "vitest";

import { beijingParts, formatBeijingDateTime, formatSize, shownTitle } from "../format";

describe("formatSize", () => {
  it("shows bytes below 1 KB as whole bytes", () => {
    expect(formatSize(0)).toBe("0 B");
    expect(formatSize(1)).toBe("1 B");
    expect(formatSize(1023)).toBe("1023 B");
  });

  it("uses one decimal below 10 and drops a trailing .0", () => {
    expect(formatSize(1024)).toBe("1 KB");
    expect(formatSize(1536)).toBe("1.5 KB");
    expect(formatSize(1.5 * 1024 * 1024)).toBe("1.5 MB");
    expect(formatSize(9.94 * 1024 * 1024)).toBe("9.9 MB");
  });

  it("rounds to whole units from 10 up", () => {
    expect(formatSize(12.4 * 1024 * 1024)).toBe("12 MB");
    expect(formatSize(500 * 1024)).toBe("500 KB");
    expect(formatSize(3 * 1024 ** 3)).toBe("3 GB");
  });

  it("moves to the next unit instead of showing 1024", () => {
    expect(formatSize(1024 * 1024 - 1)).toBe("1 MB");
  });

  it("treats nonsense as zero", () => {
    expect(formatSize(-5)).toBe("0 B");
    expect(formatSize(Number.NaN)).toBe("0 B");
  });
});

describe("Beijing time", () => {
  it("is UTC+8 whatever the machine's time zone", () => {
    expect(beijingParts(Date.parse("2026-11-27T16:30:00Z"))).toEqual({
      year: 2026,
      month: 11,
      day: 28,
      hour: 0,
      minute: 30,
    });
  });

  it("formats a date and time per language", () => {
    expect(formatBeijingDateTime("2026-11-27T06:05:00Z", "zh-CN")).toBe("11月27日 14:05");
    expect(formatBeijingDateTime("2026-11-27T06:05:00Z", "en")).toBe("2026-11-27 14:05");
    expect(formatBeijingDateTime("2026-11-27T14:05:00+08:00", "zh-CN")).toBe("11月27日 14:05");
  });

  it("adds the year when it is not now's", () => {
    const now = new Date("2027-01-02T00:00:00Z");
    expect(formatBeijingDateTime("2026-11-27T06:05:00Z", "zh-CN", now)).toBe("2026年11月27日 14:05");
    expect(formatBeijingDateTime("2027-01-01T06:05:00Z", "zh-CN", now)).toBe("1月1日 14:05");
  });

  it("shows an unparseable time as it is", () => {
    expect(formatBeijingDateTime("yesterday", "zh-CN")).toBe("yesterday");
  });
});

describe("shownTitle", () => {
  it("shows a title as written, and the window's word only for an empty one", () => {
    expect(shownTitle("春季防汛通知", "（无标题）")).toBe("春季防汛通知");
    expect(shownTitle("  ", "(untitled)")).toBe("(untitled)");
    expect(shownTitle("", "（无标题）")).toBe("（无标题）");
    // A title that happens to read like the label is still a title.
    expect(shownTitle("（无标题）", "(untitled)")).toBe("（无标题）");
  });
});

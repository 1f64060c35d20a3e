import { describe, expect, it } from "vitest";

import { formatSize } from "../format";

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

import { describe, expect, it } from "vitest";

import { makeI18n } from "../i18n";
import {
  MAX_APPROVER_CHARS,
  attestationInput,
  attestationProblemMessage,
  attestationProblems,
  beijingToday,
  bodyDocument,
  charCount,
  formatIsoDay,
  imageDataUrl,
  inlineImageShas,
  isIsoDate,
  optionalQuote,
  quoteTooLong,
  remarkProblem,
  toAttestation,
  waitedFor,
  withInlineImages,
  type AttestationInput,
} from "../signoff";

const zh = makeI18n("zh-CN").global;
const en = makeI18n("en").global;

const FORM = "f".repeat(64);
const files = [{ sha256: FORM }, { sha256: "a".repeat(64) }];
const TODAY = "2026-11-27";

function input(over: Partial<AttestationInput> = {}): AttestationInput {
  return { approver: "李建国", approvedOn: "2026-11-20", formSha256: FORM, ...over };
}

describe("beijingToday", () => {
  it("is the date in Beijing, whatever the machine's time zone", () => {
    expect(beijingToday(new Date("2026-11-27T15:59:00Z"))).toBe("2026-11-27");
    expect(beijingToday(new Date("2026-11-27T16:00:00Z"))).toBe("2026-11-28");
    expect(beijingToday(new Date("2027-01-04T01:00:00Z"))).toBe("2027-01-04");
  });
});

describe("isIsoDate and formatIsoDay", () => {
  it("accepts real calendar days only", () => {
    expect(isIsoDate("2026-11-27")).toBe(true);
    expect(isIsoDate("2028-02-29")).toBe(true);
    expect(isIsoDate("2026-02-29")).toBe(false);
    expect(isIsoDate("2026-13-01")).toBe(false);
    expect(isIsoDate("2026-1-5")).toBe(false);
    expect(isIsoDate("")).toBe(false);
  });

  it("words a day per language", () => {
    expect(formatIsoDay("2026-11-07", "zh-CN")).toBe("2026年11月7日");
    expect(formatIsoDay("2026-11-07", "en")).toBe("2026-11-07");
    expect(formatIsoDay("nonsense", "zh-CN")).toBe("nonsense");
  });
});

describe("attestationProblems", () => {
  it("passes a named, dated record whose form is attached", () => {
    expect(attestationProblems(input(), files, TODAY)).toEqual([]);
    expect(attestationProblems(input({ approvedOn: TODAY }), files, TODAY)).toEqual([]);
    expect(attestationProblems(input({ approver: "李".repeat(MAX_APPROVER_CHARS) }), files, TODAY)).toEqual([]);
    expect(attestationProblems(input({ approver: "李\n明" }), files, TODAY)).toEqual(["approver_not_one_line"]);
  });

  it("wants an approver of at most 50 characters, counted as the desk counts them", () => {
    expect(attestationProblems(input({ approver: "   " }), files, TODAY)).toEqual(["no_approver"]);
    expect(attestationProblems(input({ approver: "李".repeat(51) }), files, TODAY)).toEqual([
      "approver_too_long",
    ]);
    // Surrounding spaces do not count; a character outside the BMP counts once.
    expect(attestationProblems(input({ approver: `  ${"李".repeat(50)}  ` }), files, TODAY)).toEqual([]);
    expect(charCount("𠀋".repeat(50))).toBe(50);
    expect(attestationProblems(input({ approver: "𠀋".repeat(50) }), files, TODAY)).toEqual([]);
  });

  it("refuses a date that is not a day or is after today", () => {
    expect(attestationProblems(input({ approvedOn: "" }), files, TODAY)).toEqual(["bad_date"]);
    expect(attestationProblems(input({ approvedOn: "2026-02-30" }), files, TODAY)).toEqual(["bad_date"]);
    expect(attestationProblems(input({ approvedOn: "2026-11-28" }), files, TODAY)).toEqual(["future_date"]);
    expect(attestationProblems(input({ approvedOn: "2027-01-01" }), files, TODAY)).toEqual(["future_date"]);
  });

  it("wants the form to be one of the draft's attachments", () => {
    expect(attestationProblems(input({ formSha256: "" }), files, TODAY)).toEqual(["no_form"]);
    expect(attestationProblems(input({ formSha256: "0".repeat(64) }), files, TODAY)).toEqual([
      "form_not_attached",
    ]);
    expect(attestationProblems(input(), [], TODAY)).toEqual(["form_not_attached"]);
  });

  it("lists every problem, in the form's order", () => {
    expect(attestationProblems({ approver: "", approvedOn: "2030-01-01", formSha256: "" }, files, TODAY)).toEqual(
      ["no_approver", "future_date", "no_form"],
    );
  });

  it("says each problem in both languages, without raw keys or placeholders", () => {
    const all = ["no_approver", "approver_too_long", "approver_not_one_line", "bad_date", "future_date", "no_form", "form_not_attached"] as const;
    for (const p of all) {
      for (const [t, locale] of [
        [zh.t, "zh-CN"],
        [en.t, "en"],
      ] as const) {
        const m = attestationProblemMessage(p, TODAY, locale);
        const text = t(m.key, m.params ?? {});
        expect(text, p).not.toMatch(/attest\.|\{/);
      }
    }
    const future = attestationProblemMessage("future_date", TODAY, "zh-CN");
    expect(zh.t(future.key, future.params ?? {})).toBe("签发日期不能晚于今天（2026年11月27日）。");
    const long = attestationProblemMessage("approver_too_long", TODAY, "zh-CN");
    expect(zh.t(long.key, long.params ?? {})).toContain("50");
  });
});

describe("toAttestation and attestationInput", () => {
  it("saves the approver trimmed, in the binding's shape", () => {
    expect(toAttestation(input({ approver: " 李建国 " }))).toEqual({
      approver: "李建国",
      approved_on: "2026-11-20",
      form_sha256: FORM,
    });
  });

  it("fills the form from the saved record, or empty with today's date", () => {
    expect(attestationInput(null, TODAY)).toEqual({ approver: "", approvedOn: TODAY, formSha256: "" });
    expect(
      attestationInput({ approver: "李建国", approved_on: "2026-11-20", form_sha256: FORM }, TODAY),
    ).toEqual(input());
  });
});

describe("remarks and quotes", () => {
  it("wants a comment with text, of at most 2000 characters", () => {
    expect(remarkProblem("  \n ")).toBe("empty");
    expect(remarkProblem("请核对日期")).toBeNull();
    expect(remarkProblem("字".repeat(2000))).toBeNull();
    expect(remarkProblem("字".repeat(2001))).toBe("too_long");
  });

  it("sends a blank quote as none", () => {
    expect(optionalQuote("   ")).toBeNull();
    expect(optionalQuote(" 第二段 ")).toBe("第二段");
    expect(quoteTooLong("字".repeat(2001))).toBe(true);
    expect(quoteTooLong("")).toBe(false);
  });
});

describe("waitedFor", () => {
  const now = new Date("2026-11-27T10:00:00Z");
  const say = (since: string) => {
    const m = waitedFor(since, now);
    return m ? zh.t(m.key, m.params ?? {}) : null;
  };

  it("counts minutes, then hours, then days", () => {
    expect(say("2026-11-27T09:59:30Z")).toBe("不到1分钟");
    expect(say("2026-11-27T09:15:00Z")).toBe("45分钟");
    expect(say("2026-11-27T07:00:00Z")).toBe("3小时");
    expect(say("2026-11-25T09:00:00Z")).toBe("2天");
  });

  it("treats a time in the future as just now and an unreadable one as unknown", () => {
    expect(say("2026-11-27T11:00:00Z")).toBe("不到1分钟");
    expect(waitedFor("soon", now)).toBeNull();
  });
});

describe("bodyDocument", () => {
  it("wraps the body with a policy that loads nothing and runs nothing", () => {
    const doc = bodyDocument('<p>正文</p><script>alert(1)</script><img src="https://example.org/x.png">', "zh-CN");
    expect(doc).toMatch(/^<!doctype html>/);
    expect(doc).toContain(`content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"`);
    // The policy comes before the body.
    expect(doc.indexOf("Content-Security-Policy")).toBeLessThan(doc.indexOf("<p>正文</p>"));
    expect(doc).toContain('<html lang="zh-CN">');
  });

  it("does not let the language break out of its attribute", () => {
    expect(bodyDocument("", 'en"><script>')).toContain('<html lang="zh-CN">');
  });
});

describe("the body's inline images in the sign-off view", () => {
  const a = "a".repeat(64);
  const b = "0123456789abcdef".repeat(4);
  const body = `<p>见图</p><img src="liaison-file:${a}" alt="校门"><img src="liaison-file:${b}" alt="操场"><img src="liaison-file:${a}" alt="校门">`;

  it("names each image of the item's files once, in order, and nothing that only looks like one", () => {
    expect(inlineImageShas(body)).toEqual([a, b]);
    expect(inlineImageShas(`<p>liaison-file:${a}</p><img src="liaison-file:${a.toUpperCase()}">`)).toEqual([]);
    expect(inlineImageShas(`<img src="liaison-file:${a.slice(1)}">`)).toEqual([]);
  });

  it("points each image it has bytes for at its data: URL and leaves the others as they were", () => {
    const shown = withInlineImages(body, new Map([[a, "data:image/png;base64,AAAA"]]));
    expect(shown.match(/src="data:image\/png;base64,AAAA"/g)).toHaveLength(2);
    expect(shown).toContain(`src="liaison-file:${b}"`);
    expect(withInlineImages(body, new Map())).toBe(body);
  });

  it("types a data: URL by the bytes and refuses bytes that are no image", () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 255]);
    const url = imageDataUrl(png);
    expect(url).toMatch(/^data:image\/png;base64,/);
    const decoded = Uint8Array.from(atob(url!.split(",")[1]), (c) => c.charCodeAt(0));
    expect(Array.from(decoded)).toEqual(Array.from(png));
    expect(imageDataUrl(new TextEncoder().encode("<svg onload=alert(1)>"))).toBeNull();
  });

  it("encodes an image larger than one step of the encoder whole", () => {
    const big = new Uint8Array(100_000);
    big.set([0xff, 0xd8, 0xff]);
    big[99_999] = 7;
    const url = imageDataUrl(big)!;
    const decoded = atob(url.split(",")[1]);
    expect(decoded.length).toBe(100_000);
    expect(decoded.charCodeAt(99_999)).toBe(7);
  });
});

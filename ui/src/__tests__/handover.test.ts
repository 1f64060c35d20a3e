import { describe, expect, it } from "vitest";

import type { HandoverView } from "../bindings/HandoverView";
import type { Holder } from "../bindings/Holder";
import {
  HANDOVER_STATES,
  MIN_PASSWORD_CHARS,
  codeError,
  codeExpired,
  holderDay,
  isOfficeUrl,
  isOpen,
  isUntitled,
  normalizedCode,
  openHandover,
  passwordProblem,
  pendingTitles,
  redeemError,
  redeemProblemField,
  redeemProblems,
  sortedHolders,
  startError,
  successorProblemField,
  successorProblems,
  trimmedSuccessor,
  type RedeemInput,
} from "../handover";
import { makeI18n } from "../i18n";

const zh = makeI18n("zh-CN").global;
const en = makeI18n("en").global;

describe("passwordProblem (the office's minimum policy)", () => {
  it("judges passwords as the office does", () => {
    const cases: Array<[string, ReturnType<typeof passwordProblem>]> = [
      ["short1", "too_short"],
      ["abc123xyz", "too_short"],
      ["onlyletterslong", "too_simple"],
      ["1234567890123", "too_simple"],
      ["!!!!----####", "too_simple"],
      ["jyj.officer-2026", "contains_login"],
      ["JYJ.OFFICER99x", "contains_login"],
      ["春节值班2026年安排", null],
      ["winter-duty-7", null],
      ["abcdefghij!", null],
    ];
    for (const [password, want] of cases) {
      expect(passwordProblem("jyj.officer", password), password).toBe(want);
    }
  });

  it("counts characters, not UTF-16 units", () => {
    // Nine characters, one of them outside the BMP (two UTF-16 units): still too short.
    expect("𠀀abcdefg1".length).toBe(MIN_PASSWORD_CHARS);
    expect(passwordProblem("x", "𠀀abcdefg1")).toBe("too_short");
    expect(passwordProblem("x", "𠀀abcdefgh1")).toBe(null);
  });

  it("treats Chinese characters as letters", () => {
    expect(passwordProblem("seat", "春节值班安排全部到位了")).toBe("too_simple");
    expect(passwordProblem("seat", "春节值班安排全部到位了1")).toBe(null);
  });

  it("compares the login trimmed and ignoring case", () => {
    expect(passwordProblem("  Seat7 ", "my-seat7-password")).toBe("contains_login");
    expect(passwordProblem("", "winter-duty-7")).toBe(null);
  });
});

describe("redeemProblems", () => {
  const ok: RedeemInput = {
    officeUrl: "http://127.0.0.1:8480",
    login: "jyj.officer",
    code: "ABCD-EFGH-JKMN",
    password: "winter-duty-7",
    password2: "winter-duty-7",
  };
  const input = (over: Partial<RedeemInput>): RedeemInput => ({ ...ok, ...over });

  it("accepts a complete form", () => {
    expect(redeemProblems(ok)).toEqual([]);
    expect(redeemProblems(input({ officeUrl: " https://office.example.gov.cn/ " }))).toEqual([]);
  });

  it("needs the office, the login and the code", () => {
    expect(redeemProblems(input({ officeUrl: " " }))).toEqual(["no_office"]);
    expect(redeemProblems(input({ officeUrl: "office.example" }))).toEqual(["bad_office"]);
    expect(redeemProblems(input({ login: "  " }))).toEqual(["no_login"]);
    expect(redeemProblems(input({ code: " - " }))).toEqual(["no_code"]);
  });

  it("checks the new password and that both entries match", () => {
    expect(redeemProblems(input({ password: "", password2: "" }))).toEqual(["no_password"]);
    expect(redeemProblems(input({ password: "short1", password2: "short1" }))).toEqual(["too_short"]);
    expect(redeemProblems(input({ password: "onlyletterslong", password2: "onlyletterslong" }))).toEqual([
      "too_simple",
    ]);
    expect(redeemProblems(input({ password: "jyj.officer-1", password2: "jyj.officer-1" }))).toEqual([
      "contains_login",
    ]);
    expect(redeemProblems(input({ password2: "winter-duty-8" }))).toEqual(["mismatch"]);
    expect(redeemProblems(input({ password2: "" }))).toEqual(["mismatch"]);
  });

  it("reports every problem, in the order of the fields", () => {
    const all = redeemProblems({ officeUrl: "", login: "", code: "", password: "abc", password2: "abd" });
    expect(all).toEqual(["no_office", "no_login", "no_code", "too_short", "mismatch"]);
    expect(all.map(redeemProblemField)).toEqual(["office", "login", "code", "password", "password2"]);
  });

  it("has a sentence for every problem in both languages", () => {
    const problems = [
      "no_office",
      "bad_office",
      "no_login",
      "no_code",
      "no_password",
      "too_short",
      "too_simple",
      "contains_login",
      "mismatch",
    ];
    for (const p of problems) {
      for (const i18n of [zh, en]) {
        expect(i18n.te(`handover.redeem.problem.${p}`), p).toBe(true);
      }
    }
    expect(zh.t("handover.redeem.problem.too_short", { min: MIN_PASSWORD_CHARS })).toContain("10");
  });
});

describe("codes and addresses", () => {
  it("normalizes a code as the office compares it", () => {
    expect(normalizedCode(" abcd-efgh jkmn ")).toBe("ABCDEFGHJKMN");
    expect(normalizedCode("--")).toBe("");
  });

  it("accepts http and https office addresses only", () => {
    expect(isOfficeUrl("http://127.0.0.1:8480")).toBe(true);
    expect(isOfficeUrl("  https://office.example ")).toBe(true);
    expect(isOfficeUrl("ftp://office.example")).toBe(false);
    expect(isOfficeUrl("127.0.0.1:8480")).toBe(false);
  });
});

describe("redeemError", () => {
  const refused = (code: string, message: string, retry_after_secs?: number) => ({
    code: "rejected_by_office",
    detail: `the office refused: ${code}: ${message}`,
    data: { kind: "office", status: 422, code, ...(retry_after_secs ? { retry_after_secs } : {}) },
  });

  it("names the office's refusals of a handover code by its code, whatever its words", () => {
    expect(redeemError(refused("handover_code_invalid", "expired or not")).key).toBe("handover.redeem.code_invalid");
    expect(redeemError(refused("handover_code_expired", "no match")).key).toBe("handover.redeem.code_expired");
  });

  it("names a weak password and too many attempts, with the wait the office gave", () => {
    const weak = redeemError(refused("weak_password", "a password needs at least 10 characters"));
    expect(weak.key).toBe("handover.redeem.weak_password");
    expect(weak.params).toEqual({ min: MIN_PASSWORD_CHARS });
    // 841 s is 14 minutes and a second: the officer is told 15.
    const throttled = redeemError(refused("too_many_attempts", "try again in 2 minute(s)", 841));
    expect(throttled).toMatchObject({ key: "errors.too_many_attempts", params: { minutes: 15 } });
    expect(zh.t(throttled.key, throttled.params ?? {})).toContain("15分钟");
    expect(redeemError(refused("too_many_attempts", "try again in 15 minute(s)")).key).toBe(
      "errors.too_many_attempts_later",
    );
  });

  it("keeps the technical detail", () => {
    expect(redeemError(refused("weak_password", "x")).detail).toBe("the office refused: weak_password: x");
  });

  it("explains a desk that still holds another seat's unsent items, and a bad address, by code", () => {
    const inUse = {
      code: "other_seat_unsent",
      detail: "anything",
      data: { kind: "other_seat", office_url: "http://o", login: "a.b" },
    };
    expect(redeemError(inUse).key).toBe("handover.redeem.desk_in_use");
    expect(redeemError({ code: "bad_office_address", detail: "x" }).key).toBe("handover.redeem.problem.bad_office");
    expect(redeemError({ code: "invalid_state", detail: "the office address must start with http://" }).key).toBe(
      "errors.invalid_state",
    );
  });

  it("falls back to the general sentences", () => {
    expect(redeemError({ code: "office_unreachable", detail: "connect" }).key).toBe("errors.online_action");
    expect(redeemError(refused("internal", "boom")).key).toBe("errors.rejected_by_office");
    expect(redeemError(new Error("boom")).key).toBe("errors.internal");
  });
});

describe("successorProblems", () => {
  const ok = { name: " 周敏 ", staff_no: "JY-0427", phone: "+86 138-0000-1234" };

  it("accepts a plausible successor and trims it", () => {
    expect(successorProblems(ok)).toEqual([]);
    expect(trimmedSuccessor(ok)).toEqual({ name: "周敏", staff_no: "JY-0427", phone: "+86 138-0000-1234" });
  });

  it("checks every field as the desk does", () => {
    expect(successorProblems({ ...ok, name: " " })).toEqual(["no_name"]);
    expect(successorProblems({ ...ok, name: "周".repeat(51) })).toEqual(["name_too_long"]);
    // One line, as the domain's rule has it: a break or a tab inside the name is refused.
    expect(successorProblems({ ...ok, name: "周\n敏" })).toEqual(["name_not_one_line"]);
    expect(successorProblems({ ...ok, name: "周\t敏" })).toEqual(["name_not_one_line"]);
    expect(successorProblems({ ...ok, name: "周".repeat(50) })).toEqual([]);
    expect(successorProblems({ ...ok, staff_no: "工号1" })).toEqual(["bad_staff_no"]);
    expect(successorProblems({ ...ok, staff_no: "" })).toEqual(["bad_staff_no"]);
    expect(successorProblems({ ...ok, staff_no: "A".repeat(33) })).toEqual(["bad_staff_no"]);
    expect(successorProblems({ ...ok, phone: "1234" })).toEqual(["bad_phone"]);
    expect(successorProblems({ ...ok, phone: "1".repeat(21) })).toEqual(["bad_phone"]);
    expect(successorProblems({ ...ok, phone: "138+0000" })).toEqual(["bad_phone"]);
    expect(successorProblems({ ...ok, phone: "(010) 6512 3456" })).toEqual(["bad_phone"]);
    expect(successorProblems({ ...ok, phone: "010-6512 3456" })).toEqual([]);
  });

  it("maps problems to their fields", () => {
    const all = successorProblems({ name: "", staff_no: "", phone: "" });
    expect(all).toEqual(["no_name", "bad_staff_no", "bad_phone"]);
    expect(all.map(successorProblemField)).toEqual(["name", "staff_no", "phone"]);
  });
});

describe("starting a handover", () => {
  it("lists what is not yet at the office from the error's data, never its text", () => {
    const titles = ["春季防汛通知", "", "含、顿号的标题", "（无标题）"];
    const blocked = {
      code: "handover_blocked" as const,
      detail: "not yet at the office: something else entirely",
      data: { kind: "pending" as const, titles },
    };
    expect(pendingTitles(blocked)).toEqual(titles);
    expect(pendingTitles({ code: "handover_blocked", detail: "not yet at the office: A、B" })).toEqual([]);
    // Only an empty title is untitled: a draft may be titled "（无标题）".
    expect(isUntitled("")).toBe(true);
    expect(isUntitled(" ")).toBe(true);
    expect(isUntitled("（无标题）")).toBe(false);
    expect(isUntitled("标题")).toBe(false);
  });

  it("turns a blocked start into the pending list", () => {
    const f = startError({
      code: "handover_blocked",
      detail: "not yet at the office",
      data: { kind: "pending", titles: ["A", "B"] },
    });
    expect(f.error.key).toBe("errors.handover_blocked");
    expect(f.pending).toEqual(["A", "B"]);
  });

  it("names other refusals", () => {
    const conflict = startError({
      code: "rejected_by_office",
      detail: "the office refused: conflict: this seat already has a handover under way",
      data: { kind: "office", status: 409, code: "conflict" },
    });
    expect(conflict).toMatchObject({ error: { key: "handover.start.already_open" }, pending: null });
    // The office's code in the text alone decides nothing.
    expect(
      startError({ code: "rejected_by_office", detail: "the office refused: conflict: this seat" }).error.key,
    ).toBe("errors.rejected_by_office");
    expect(
      startError({ code: "invalid_state", detail: "x", data: { kind: "successor", problem: "phone" } }).error.key,
    ).toBe("handover.start.invalid_successor");
    expect(
      startError({
        code: "rejected_by_office",
        detail: "x",
        data: { kind: "office", status: 422, code: "validation" },
      }).error.key,
    ).toBe("handover.start.invalid_successor");
    expect(startError({ code: "office_unreachable", detail: "x" }).error.key).toBe("errors.online_action");
    expect(startError({ code: "seat_handed_over", detail: "x" }).error.key).toBe("errors.seat_handed_over");
  });
});

function handover(over: Partial<HandoverView> = {}): HandoverView {
  return {
    id: 1,
    seat_id: 3,
    seat_login: "jyj.officer",
    department: "教育局",
    state: "requested",
    forced: false,
    outgoing_holder: "王芳",
    successor: { name: "周敏", staff_no: "JY-0427", phone: "13800001234" },
    requested_by: "jyj.officer",
    requested_at: "2026-11-27T02:00:00Z",
    reason: null,
    decided_by: null,
    decided_at: null,
    code_expires_at: null,
    completed_at: null,
    outgoing: "keep_read_only",
    ...over,
  };
}

describe("handovers and their codes", () => {
  it("finds the open handover", () => {
    expect(HANDOVER_STATES.filter(isOpen)).toEqual(["requested", "approved"]);
    expect(openHandover([])).toBe(null);
    expect(openHandover([handover({ id: 2, state: "declined" }), handover({ id: 3, state: "approved" })])?.id).toBe(3);
    expect(openHandover([handover({ state: "completed" }), handover({ state: "expired" })])).toBe(null);
  });

  it("knows when an approved code ran out", () => {
    const now = new Date("2026-11-28T00:00:00Z");
    expect(codeExpired(handover({ state: "approved", code_expires_at: "2026-11-30T00:00:00Z" }), now)).toBe(false);
    expect(codeExpired(handover({ state: "approved", code_expires_at: "2026-11-27T00:00:00Z" }), now)).toBe(true);
    expect(codeExpired(handover({ state: "expired" }), now)).toBe(true);
    expect(codeExpired(handover({ state: "requested" }), now)).toBe(false);
  });

  it("says a code the office no longer shows was already shown", () => {
    expect(codeError({ code: "not_found", detail: "handover code not found" }).key).toBe("handover.code.already_shown");
    expect(
      codeError({
        code: "rejected_by_office",
        detail: "the office refused: not_found: handover code (it is shown once)",
        data: { kind: "office", status: 404, code: "not_found" },
      }).key,
    ).toBe("handover.code.already_shown");
    expect(codeError({ code: "office_unreachable", detail: "x" }).key).toBe("errors.online_action");
  });

  it("has a label for every state", () => {
    for (const s of HANDOVER_STATES) {
      expect(zh.te(`handover.state.${s}`), s).toBe(true);
      expect(en.te(`handover.state.${s}`), s).toBe(true);
    }
  });
});

describe("holder history", () => {
  const holders: Holder[] = [
    { name: "李强", staff_no: "JY-0101", phone: "1", from: "2020-03-01T00:00:00Z", until: "2023-06-30T08:00:00Z" },
    { name: "周敏", staff_no: "JY-0427", phone: "2", from: "2026-11-27T02:00:00Z", until: null },
    { name: "王芳", staff_no: "JY-0302", phone: "3", from: "2023-06-30T08:00:00Z", until: "2026-11-27T02:00:00Z" },
  ];

  it("puts the current holder first, then the latest", () => {
    expect(sortedHolders(holders).map((h) => h.name)).toEqual(["周敏", "王芳", "李强"]);
    expect(holders[0].name).toBe("李强");
  });

  it("shows days in Beijing with their year", () => {
    expect(holderDay("2023-06-30T16:30:00Z", "zh-CN")).toBe("2023年7月1日");
    expect(holderDay("2023-06-30T16:30:00Z", "en")).toBe("2023-07-01");
    expect(holderDay("not a date", "zh-CN")).toBe("not a date");
  });

  it("words the period, open or closed", () => {
    expect(zh.t("handover.holders.since", { from: "2026年11月27日" })).toBe("2026年11月27日 至今");
    expect(zh.t("handover.holders.range", { from: "a", until: "b" })).toBe("a 至 b");
  });
});

describe("the handed-over notice", () => {
  it("says the seat went to a successor, kept or wiped", () => {
    const kept = zh.t("handover.handed_over.kept", { login: "jyj.officer", time: "11月27日 10:00" });
    expect(kept).toBe("本岗位（jyj.officer）已于11月27日 10:00交接给接任人。本机已停止报送，本地稿件只读保留。");
    const wiped = zh.t("handover.handed_over.wiped", { login: "jyj.officer", time: "11月27日 10:00" });
    expect(wiped).toContain("本地数据已按编辑部要求清除");
  });
});

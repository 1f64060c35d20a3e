import { describe, expect, it } from "vitest";
import { createI18n } from "vue-i18n";
import en from "../i18n/en.json";
import zhCN from "../i18n/zh-CN.json";
import { fromDeskError, fromOnlineError } from "../uiError";

const zh = createI18n({ legacy: false, locale: "zh-CN", messages: { "zh-CN": zhCN } }).global;
const english = createI18n({ legacy: false, locale: "en", messages: { en } }).global;

describe("fromDeskError", () => {
  it("words an error by its code and keeps the detail", () => {
    expect(fromDeskError({ code: "wrong_password", detail: "wrong login or password" })).toEqual({
      key: "errors.wrong_password",
      detail: "wrong login or password",
    });
  });

  it("tells a throttled sign-in how long to wait, from the office's Retry-After", () => {
    const e = {
      code: "rejected_by_office",
      detail: "the office refused: too_many_attempts: try again in 900 s",
      data: { kind: "office", status: 429, code: "too_many_attempts", retry_after_secs: 61 },
    };
    const shown = fromDeskError(e);
    expect(shown).toMatchObject({ key: "errors.too_many_attempts", params: { minutes: 2 } });
    expect(zh.t(shown.key, shown.params ?? {})).toContain("2分钟");
    expect(english.t(shown.key, shown.params ?? {})).toContain("2 minutes");
    // Without a wait, the window does not make one up (and reads nothing from the English text).
    const noWait = { ...e, data: { kind: "office", status: 429, code: "too_many_attempts" } };
    expect(fromOnlineError(noWait).key).toBe("errors.too_many_attempts_later");
  });

  it("names the other seat whose items hold the desk", () => {
    const shown = fromDeskError({
      code: "other_seat_unsent",
      detail: "items of jyj.officer at https://o still wait",
      data: { kind: "other_seat", office_url: "https://o", login: "jyj.officer" },
    });
    expect(shown.key).toBe("errors.other_seat_unsent");
    expect(zh.t(shown.key, shown.params ?? {})).toContain("jyj.officer");
  });
});

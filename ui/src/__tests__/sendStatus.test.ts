import { describe, expect, it } from "vitest";

import type { DeskError } from "../bindings/DeskError";
import type { ItemState } from "../bindings/ItemState";
import { makeI18n } from "../i18n";
import {
  OFFICE_CODES,
  draftSendStatus,
  officeCode,
  sendStatus,
  statusLabel,
  statusLine,
  summaryPercent,
  summarySendStatus,
  uploadPercent,
  type SendStatus,
  type StatusMessage,
} from "../sendStatus";

const zh = makeI18n("zh-CN").global;
const en = makeI18n("en").global;
const say = (m: StatusMessage | null, t = zh.t) => (m ? t(m.key, m.params ?? {}) : null);

/** A send's failure as the desk stores it on the draft. */
const failed = (code: DeskError["code"], detail: string, officeCode?: string): DeskError => ({
  code,
  detail,
  ...(officeCode ? { data: { kind: "office", status: 422, code: officeCode } } : {}),
});
const refusedTitle = failed("rejected_by_office", "the office refused: validation: title too long", "validation");
const reset = failed("office_unreachable", "connection reset");

describe("uploadPercent", () => {
  it("is null without a send or without bytes to upload", () => {
    expect(uploadPercent(null)).toBeNull();
    expect(uploadPercent({ uploaded_bytes: 0, total_bytes: 0, attempts: 0 })).toBeNull();
  });

  it("is the floored share while bytes are outstanding", () => {
    expect(uploadPercent({ uploaded_bytes: 0, total_bytes: 100, attempts: 1 })).toBe(0);
    expect(uploadPercent({ uploaded_bytes: 42, total_bytes: 100, attempts: 1 })).toBe(42);
    expect(uploadPercent({ uploaded_bytes: 999, total_bytes: 1000, attempts: 1 })).toBe(99);
    expect(uploadPercent({ uploaded_bytes: 1, total_bytes: 3, attempts: 2 })).toBe(33);
  });

  it("is null once everything is uploaded", () => {
    expect(uploadPercent({ uploaded_bytes: 100, total_bytes: 100, attempts: 1 })).toBeNull();
    expect(uploadPercent({ uploaded_bytes: 120, total_bytes: 100, attempts: 1 })).toBeNull();
  });
});

describe("summaryPercent", () => {
  it("passes 0–99 through, floored, and drops null and 100", () => {
    expect(summaryPercent(null)).toBeNull();
    expect(summaryPercent(0)).toBe(0);
    expect(summaryPercent(42.7)).toBe(42);
    expect(summaryPercent(100)).toBeNull();
    expect(summaryPercent(-3)).toBe(0);
  });
});

describe("sendStatus", () => {
  it("a draft without an error is a plain draft", () => {
    expect(sendStatus("draft", null, null)).toEqual({ kind: "draft", percent: null, failure: null });
  });

  it("a draft the office refused needs attention, worded by the code, never by the text", () => {
    const s = sendStatus("draft", refusedTitle, null);
    expect(s).toEqual({ kind: "needs_attention", percent: null, failure: refusedTitle });
    expect(say(statusLabel(s))).toBe("需要处理");
    expect(statusLine(s)).toEqual({ key: "errors.rejected_by_office" });
    expect(say(statusLine(s))).not.toContain("title too long");
    const notAllowed = sendStatus("draft", failed("file_not_allowed", "type not allowed: x.exe"), null);
    expect(statusLine(notAllowed)).toEqual({ key: "errors.file_not_allowed" });
  });

  it("queued without progress is waiting in line", () => {
    const s = sendStatus("queued", null, null);
    expect(s).toEqual({ kind: "queued", percent: null, failure: null });
    expect(say(statusLabel(s))).toBe("排队待送");
    expect(statusLine(s)).toBeNull();
  });

  it("queued with files going up shows the percent", () => {
    const s = sendStatus("queued", null, 42);
    expect(s).toEqual({ kind: "uploading", percent: 42, failure: null });
    expect(say(statusLabel(s))).toBe("上传中 42%");
    expect(say(statusLabel(s), en.t)).toBe("Uploading 42%");
    expect(statusLine(s)).toBeNull();
  });

  it("queued with an error is retrying, keeping the detail and any progress", () => {
    const s = sendStatus("queued", reset, null);
    expect(s).toEqual({ kind: "retrying", percent: null, failure: reset });
    expect(say(statusLabel(s))).toBe("排队待送");
    expect(say(statusLine(s))).toBe("送出未成功，将自动重试");

    const mid = sendStatus("queued", reset, 10);
    expect(mid).toEqual({ kind: "retrying", percent: 10, failure: reset });
    expect(say(statusLabel(mid))).toBe("上传中 10%");
  });

  it("later states show their own label and ignore progress and errors", () => {
    const later: ItemState[] = ["awaiting_signoff", "delivered", "accepted", "returned", "rejected"];
    for (const state of later) {
      const s = sendStatus(state, reset, 50);
      expect(s).toEqual({ kind: state, percent: null, failure: null } satisfies SendStatus);
      expect(statusLabel(s)).toEqual({ key: `state.${state}` });
      expect(statusLine(s)).toBeNull();
    }
    expect(say(statusLabel(sendStatus("delivered", null, null)))).toBe("已送达");
  });
});

describe("awaiting the department's sign-off", () => {
  it("reads as held for the responsible person, in both languages", () => {
    const s = sendStatus("awaiting_signoff", null, null);
    expect(s).toEqual({ kind: "awaiting_signoff", percent: null, failure: null });
    expect(say(statusLabel(s))).toBe("待部门签发");
    expect(say(statusLabel(s), en.t)).toBe("Awaiting sign-off");
    expect(statusLine(s)).toBeNull();
    expect(
      summarySendStatus({ state: "awaiting_signoff", last_error: null, upload_percent: 100 }).kind,
    ).toBe("awaiting_signoff");
  });
});

describe("from views", () => {
  it("reads a DraftView's sending progress", () => {
    const s = draftSendStatus({
      state: "queued",
      last_error: null,
      sending: { uploaded_bytes: 512, total_bytes: 2048, attempts: 1 },
    });
    expect(s).toEqual({ kind: "uploading", percent: 25, failure: null });
  });

  it("reads a DraftSummary's upload_percent", () => {
    expect(summarySendStatus({ state: "queued", last_error: null, upload_percent: 42 })).toEqual({
      kind: "uploading",
      percent: 42,
      failure: null,
    });
    expect(summarySendStatus({ state: "queued", last_error: null, upload_percent: 100 }).kind).toBe(
      "queued",
    );
    expect(summarySendStatus({ state: "draft", last_error: refusedTitle, upload_percent: null }).kind).toBe(
      "needs_attention",
    );
  });
});

describe("office refusal codes", () => {
  // The failures as the desk stores them (crates/desk/src/error.rs, client.rs): the office's
  // code in the data, and a detail whose words the window never reads.
  const quota = failed("rejected_by_office", "upload quota: 1073741000 bytes", "quota_exceeded");
  const limited: DeskError = {
    code: "office_busy",
    detail: "HTTP 429: rate_limited: try again in 5 s",
    data: { kind: "office", status: 429, code: "rate_limited", retry_after_secs: 5 },
  };
  const full = failed("office_unreachable", "HTTP 507: storage_full", "storage_full");

  it("are read from the data, not the detail", () => {
    expect(officeCode(quota)).toBe("quota_exceeded");
    expect(officeCode(limited)).toBe("rate_limited");
    expect(officeCode(full)).toBe("storage_full");
    expect(officeCode(failed("rejected_by_office", "x", "payload_too_large"))).toBeNull();
    expect(officeCode(failed("office_unreachable", "HTTP 429: rate_limited"))).toBeNull();
    expect(officeCode(null)).toBeNull();
  });

  it("a send over the upload quota needs attention, said in the window's words", () => {
    const s = sendStatus("draft", quota, null);
    expect(s.kind).toBe("needs_attention");
    expect(say(statusLabel(s))).toBe("需要处理");
    const line = say(statusLine(s)) ?? "";
    expect(line).toContain("限额");
    expect(line).not.toContain("quota_exceeded");
    expect(say(statusLine(s), en.t)).toContain("limit");
  });

  it("a throttled or storage-full send is retried, and says why", () => {
    const throttled = sendStatus("queued", limited, null);
    expect(throttled.kind).toBe("retrying");
    expect(say(statusLine(throttled))).toContain("送出过于频繁");
    expect(say(statusLine(throttled), en.t)).toContain("Sent too often");
    const full_ = sendStatus("queued", full, 40);
    expect(say(statusLabel(full_))).toBe("上传中 40%");
    expect(say(statusLine(full_))).toContain("存储空间不足");
    // Any other failure keeps the general sentence.
    expect(statusLine(sendStatus("queued", reset, null))).toEqual({ key: "send.retrying" });
  });

  it("every code has its own sentence in both languages", () => {
    for (const code of OFFICE_CODES) {
      const key = `send.office.${code}`;
      expect(zh.te(key), key).toBe(true);
      expect(en.te(key), key).toBe(true);
      expect(zh.t(key)).not.toBe(en.t(key));
    }
  });
});

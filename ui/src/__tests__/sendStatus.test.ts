import { describe, expect, it } from "vitest";

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
    expect(sendStatus("draft", null, null)).toEqual({ kind: "draft", percent: null, detail: null });
    expect(sendStatus("draft", "   ", null).kind).toBe("draft");
  });

  it("a draft the office refused needs attention, with the reason", () => {
    const s = sendStatus("draft", "title too long", null);
    expect(s).toEqual({ kind: "needs_attention", percent: null, detail: "title too long" });
    expect(say(statusLabel(s))).toBe("需要处理");
    expect(say(statusLine(s))).toBe("需要处理：title too long");
    expect(say(statusLine(s), en.t)).toBe("Needs attention: title too long");
  });

  it("queued without progress is waiting in line", () => {
    const s = sendStatus("queued", null, null);
    expect(s).toEqual({ kind: "queued", percent: null, detail: null });
    expect(say(statusLabel(s))).toBe("排队待送");
    expect(statusLine(s)).toBeNull();
  });

  it("queued with files going up shows the percent", () => {
    const s = sendStatus("queued", null, 42);
    expect(s).toEqual({ kind: "uploading", percent: 42, detail: null });
    expect(say(statusLabel(s))).toBe("上传中 42%");
    expect(say(statusLabel(s), en.t)).toBe("Uploading 42%");
    expect(statusLine(s)).toBeNull();
  });

  it("queued with an error is retrying, keeping the detail and any progress", () => {
    const s = sendStatus("queued", "connection reset", null);
    expect(s).toEqual({ kind: "retrying", percent: null, detail: "connection reset" });
    expect(say(statusLabel(s))).toBe("排队待送");
    expect(say(statusLine(s))).toBe("送出未成功，将自动重试");

    const mid = sendStatus("queued", "timeout", 10);
    expect(mid).toEqual({ kind: "retrying", percent: 10, detail: "timeout" });
    expect(say(statusLabel(mid))).toBe("上传中 10%");
  });

  it("later states show their own label and ignore progress and errors", () => {
    const later: ItemState[] = ["awaiting_signoff", "delivered", "accepted", "returned", "rejected"];
    for (const state of later) {
      const s = sendStatus(state, "old error", 50);
      expect(s).toEqual({ kind: state, percent: null, detail: null } satisfies SendStatus);
      expect(statusLabel(s)).toEqual({ key: `state.${state}` });
      expect(statusLine(s)).toBeNull();
    }
    expect(say(statusLabel(sendStatus("delivered", null, null)))).toBe("已送达");
  });
});

describe("awaiting the department's sign-off", () => {
  it("reads as held for the responsible person, in both languages", () => {
    const s = sendStatus("awaiting_signoff", null, null);
    expect(s).toEqual({ kind: "awaiting_signoff", percent: null, detail: null });
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
    expect(s).toEqual({ kind: "uploading", percent: 25, detail: null });
  });

  it("reads a DraftSummary's upload_percent", () => {
    expect(summarySendStatus({ state: "queued", last_error: null, upload_percent: 42 })).toEqual({
      kind: "uploading",
      percent: 42,
      detail: null,
    });
    expect(summarySendStatus({ state: "queued", last_error: null, upload_percent: 100 }).kind).toBe(
      "queued",
    );
    expect(summarySendStatus({ state: "draft", last_error: "refused", upload_percent: null }).kind).toBe(
      "needs_attention",
    );
  });
});

describe("office refusal codes", () => {
  // The details as the desk stores them (crates/desk/src/error.rs, client.rs).
  const quota =
    "the office refused: quota_exceeded: upload quota: this seat holds 1073741000 bytes of complete uploads that no item or draft backup uses";
  const limited =
    "the office asks to wait 5 s: HTTP 429 Too Many Requests: rate_limited: too many sends from this seat in a short time; try again in 5 s";
  const full =
    "the office could not be reached: HTTP 507 Insufficient Storage: storage_full: the office's storage is nearly full";

  it("are found in the detail, and only whole", () => {
    expect(officeCode(quota)).toBe("quota_exceeded");
    expect(officeCode(limited)).toBe("rate_limited");
    expect(officeCode(full)).toBe("storage_full");
    expect(officeCode("the office refused: payload_too_large: the file is too large")).toBeNull();
    expect(officeCode("not_rate_limited_at_all")).toBeNull();
    expect(officeCode(null)).toBeNull();
  });

  it("a send over the upload quota needs attention, said in the window's words", () => {
    const s = sendStatus("draft", quota, null);
    expect(s.kind).toBe("needs_attention");
    expect(say(statusLabel(s))).toBe("需要处理");
    const line = say(statusLine(s)) ?? "";
    expect(line.startsWith("需要处理：")).toBe(true);
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
    expect(statusLine(sendStatus("queued", "connection reset", null))).toEqual({ key: "send.retrying" });
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

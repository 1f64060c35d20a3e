import { describe, expect, it } from "vitest";

import * as desk from "../api/desk";
import deskErrorCodeSource from "../bindings/DeskErrorCode.ts?raw";

describe("desk API without the Tauri runtime", () => {
  it("rejects every call with an internal DeskError naming the missing runtime", async () => {
    const calls: Array<() => Promise<unknown>> = [
      () => desk.session(),
      () => desk.signIn("http://127.0.0.1:8480", "a", "b"),
      () => desk.drafts(),
      () => desk.searchDrafts("防汛"),
      () => desk.painted("drafts", 120),
      () => desk.saveDraft({ id: "x", columnId: null, title: "", bodyHtml: "" }),
      () => desk.syncNow(),
      () => desk.attachFile("x", "a.pdf", new Uint8Array([1, 2, 3])),
      () => desk.detachFile("x", "0".repeat(64)),
      () => desk.readFile("0".repeat(64)),
      () => desk.board(),
      () => desk.notices(),
      () => desk.markNoticesRead(),
      () => desk.markNoticesRead(3),
      () => desk.notifyHours(),
      () => desk.setNotifyHours({ start: "08:30", end: "17:30", working_days_only: true }),
      () => desk.setLanguage("en"),
      () => desk.revisionDiff("x"),
      () => desk.attest("x", { approver: "李建国", approved_on: "2026-11-27", form_sha256: "f".repeat(64) }),
      () => desk.attest("x", null),
      () => desk.timeline("x"),
      () => desk.refreshTimeline("x"),
      () => desk.comment("x", "已补充", null),
      () => desk.signoffQueue(),
      () => desk.officeItem(7),
      () => desk.approve(7),
      () => desk.returnItem(7, "请补充附件", "第二段"),
      () => desk.redeemHandover("http://127.0.0.1:8480", "jyj.officer", "ABCD-EFGH-JKMN", "winter-duty-7"),
      () => desk.startHandover({ name: "周敏", staff_no: "JY-0427", phone: "13800001234" }),
      () => desk.handovers(),
      () => desk.handoverCode(4),
      () => desk.holders(),
      () => desk.preflight("x"),
      () => desk.importFolder(),
      () => desk.setImportFolder("/home/a/导入"),
      () => desk.setImportFolder(null),
      () => desk.importLog(),
      () => desk.trustSettings(),
      () => desk.setCaFile("/home/a/city-ca.pem"),
      () => desk.setCaFile(null),
      () => desk.trustCertificate("https://xxb.example.gov.cn", "AB:CD"),
      () => desk.forgetCertificate("https://xxb.example.gov.cn"),
      () => desk.onChanged(() => {}),
    ];
    for (const call of calls) {
      await expect(call()).rejects.toEqual({ code: "internal", detail: desk.RUNTIME_MISSING_DETAIL });
    }
  });

  it("normalises unknown rejections to DeskError", () => {
    expect(desk.toDeskError({ code: "wrong_password", detail: "nope" })).toEqual({
      code: "wrong_password",
      detail: "nope",
    });
    expect(desk.toDeskError("command save_draft not found")).toEqual({
      code: "internal",
      detail: "command save_draft not found",
    });
    expect(desk.toDeskError({ code: "bogus", detail: "?" }).code).toBe("internal");
  });

  it("keeps a refused certificate's fingerprints for the officer to compare", () => {
    const presented = Array(32).fill("AB").join(":");
    expect(
      desk.toDeskError({ code: "certificate_unknown", detail: "x", certificate: { presented, pinned: null } }),
    ).toEqual({ code: "certificate_unknown", detail: "x", certificate: { presented, pinned: null } });
    expect(desk.toDeskError({ code: "plain_http_refused", detail: "http://10.1.2.3" })).toEqual({
      code: "plain_http_refused",
      detail: "http://10.1.2.3",
    });
  });
});

describe("DESK_ERROR_CODES", () => {
  it("lists the generated DeskErrorCode union, in its order", () => {
    const union = deskErrorCodeSource.match(/export type DeskErrorCode = ([^;]+);/)?.[1] ?? "";
    const codes = [...union.matchAll(/"(\w+)"/g)].map((m) => m[1]);
    expect(codes).toContain("file_not_allowed");
    expect(codes).toContain("seat_handed_over");
    expect(codes).toContain("handover_blocked");
    expect(codes).toContain("preflight_failed");
    expect([...desk.DESK_ERROR_CODES]).toEqual(codes);
  });
});

import { describe, expect, it } from "vitest";

import { certificateToCompare } from "../trust";

const presented = Array(32).fill("3F").join(":");
const pinned = Array(32).fill("A0").join(":");

describe("certificateToCompare", () => {
  it("asks to compare an unknown certificate, for the office it came from", () => {
    const e = { code: "certificate_unknown", detail: "x", certificate: { presented, pinned: null } };
    expect(certificateToCompare(e, "https://xxb.example.gov.cn")).toEqual({
      office: "https://xxb.example.gov.cn",
      fingerprint: presented,
    });
  });

  it("never offers to trust a changed pinned certificate, or anything else", () => {
    const changed = { code: "certificate_changed", detail: "x", certificate: { presented, pinned } };
    expect(certificateToCompare(changed, "https://a")).toBeNull();
    const ca = { code: "certificate_not_trusted", detail: "x", certificate: { presented, pinned: null } };
    expect(certificateToCompare(ca, "https://a")).toBeNull();
    expect(certificateToCompare({ code: "certificate_unknown", detail: "no fingerprint" }, "https://a")).toBeNull();
    expect(certificateToCompare({ code: "wrong_password", detail: "" }, "https://a")).toBeNull();
    expect(certificateToCompare(new Error("boom"), "https://a")).toBeNull();
  });
});

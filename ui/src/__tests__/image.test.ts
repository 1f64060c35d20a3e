import { describe, expect, it } from "vitest";

import { MAX_IMAGE_BYTES, checkImageFile } from "../image";

describe("checkImageFile", () => {
  it("accepts images up to 5 MB", () => {
    expect(checkImageFile({ type: "image/png", size: MAX_IMAGE_BYTES })).toBeNull();
  });
  it("refuses images over 5 MB", () => {
    expect(checkImageFile({ type: "image/jpeg", size: MAX_IMAGE_BYTES + 1 })).toBe("image.too_large");
  });
  it("refuses non-images", () => {
    expect(checkImageFile({ type: "application/pdf", size: 10 })).toBe("image.not_image");
  });
});

import { describe, expect, it } from "vitest";

import {
  INLINE_FILE_SCHEME,
  MAX_IMAGE_BYTES,
  StoredImageUrls,
  blobOf,
  checkImageFile,
  inlineFileSha,
  inlineFileSrc,
  isSha256Hex,
  sha256Hex,
  sniffImageMime,
} from "../image";

const SHA = "ab".repeat(32);
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

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

describe("liaison-file: srcs", () => {
  it("recognises 64 lowercase hex digits only", () => {
    expect(isSha256Hex(SHA)).toBe(true);
    expect(isSha256Hex(SHA.toUpperCase())).toBe(false);
    expect(isSha256Hex(SHA.slice(1))).toBe(false);
    expect(isSha256Hex(`${SHA}0`)).toBe(false);
    expect(isSha256Hex("g".repeat(64))).toBe(false);
  });

  it("builds the src of a stored file", () => {
    expect(inlineFileSrc(SHA)).toBe(`liaison-file:${SHA}`);
    expect(INLINE_FILE_SCHEME).toBe("liaison-file:");
    expect(() => inlineFileSrc("short")).toThrow();
  });

  it("extracts the SHA-256 of a liaison-file: src, and nothing else", () => {
    expect(inlineFileSha(`liaison-file:${SHA}`)).toBe(SHA);
    expect(inlineFileSha(inlineFileSrc(SHA))).toBe(SHA);
    expect(inlineFileSha("liaison-file:short")).toBeNull();
    expect(inlineFileSha(`liaison-file:${SHA.toUpperCase()}`)).toBeNull();
    expect(inlineFileSha(`liaison-file:${SHA}x`)).toBeNull();
    expect(inlineFileSha(`LIAISON-FILE:${SHA}`)).toBeNull();
    expect(inlineFileSha("data:image/png;base64,iVBORw0KGgo=")).toBeNull();
    expect(inlineFileSha(`https://example.org/liaison-file:${SHA}`)).toBeNull();
    expect(inlineFileSha("")).toBeNull();
    expect(inlineFileSha(null)).toBeNull();
    expect(inlineFileSha(undefined)).toBeNull();
  });
});

describe("sha256Hex", () => {
  it("names bytes as the store does", async () => {
    expect(await sha256Hex(new Uint8Array())).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(await sha256Hex(new TextEncoder().encode("abc"))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("hashes only the bytes a view shows", async () => {
    const big = new Uint8Array(100_000).map((_, i) => (i * 31) % 251);
    expect(isSha256Hex(await sha256Hex(big))).toBe(true);
    const view = new TextEncoder().encode("xxabcxx").subarray(2, 5);
    expect(await sha256Hex(view)).toBe(await sha256Hex(new TextEncoder().encode("abc")));
    expect(await sha256Hex(view)).not.toBe(await sha256Hex(view.slice(1)));
  });
});

describe("sniffImageMime", () => {
  it("recognises the image types the desk accepts", () => {
    expect(sniffImageMime(PNG)).toBe("image/png");
    expect(sniffImageMime(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe("image/jpeg");
    expect(sniffImageMime(new TextEncoder().encode("GIF89a"))).toBe("image/gif");
    expect(sniffImageMime(new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8 "))).toBe("image/webp");
  });

  it("refuses everything else", () => {
    expect(sniffImageMime(new Uint8Array())).toBe("");
    expect(sniffImageMime(new TextEncoder().encode("%PDF-1.7"))).toBe("");
    expect(sniffImageMime(new TextEncoder().encode("<svg xmlns="))).toBe("");
    expect(sniffImageMime(new TextEncoder().encode("RIFF\0\0\0\0WAVEfmt "))).toBe("");
    expect(sniffImageMime(PNG.subarray(0, 7))).toBe("");
  });

  it("types blobs by their bytes", () => {
    expect(blobOf(PNG).type).toBe("image/png");
    expect(blobOf(PNG.buffer).size).toBe(PNG.length);
    expect(blobOf(new Uint8Array([1, 2])).type).toBe("");
  });
});

/** A cache whose loads and object URLs are recorded. */
function fakeCache(load?: (sha: string) => Promise<ArrayBuffer | Uint8Array>) {
  const loads: string[] = [];
  const created: Blob[] = [];
  const revoked: string[] = [];
  const cache = new StoredImageUrls(
    (sha) => {
      loads.push(sha);
      return load ? load(sha) : Promise.resolve(PNG.slice().buffer);
    },
    {
      create: (blob) => {
        created.push(blob);
        return `blob:test/${created.length}`;
      },
      revoke: (url) => revoked.push(url),
    },
  );
  return { cache, loads, created, revoked };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("StoredImageUrls", () => {
  it("loads each file once and shares its object URL", async () => {
    const { cache, loads, created } = fakeCache();
    const [a, b] = await Promise.all([cache.get(SHA), cache.get(SHA)]);
    expect(a).toBe("blob:test/1");
    expect(b).toBe(a);
    expect(await cache.get(SHA)).toBe(a);
    expect(loads).toEqual([SHA]);
    expect(created[0].type).toBe("image/png");
    expect(cache.size).toBe(1);
  });

  it("forgets a failed load so that the next one tries again", async () => {
    let fail = true;
    const { cache, loads } = fakeCache(async () => {
      if (fail) throw { code: "not_found", detail: "file" };
      return PNG;
    });
    await expect(cache.get(SHA)).rejects.toEqual({ code: "not_found", detail: "file" });
    expect(cache.size).toBe(0);
    fail = false;
    expect(await cache.get(SHA)).toBe("blob:test/1");
    expect(loads).toEqual([SHA, SHA]);
  });

  it("takes bytes at hand without loading them", async () => {
    const { cache, loads } = fakeCache();
    cache.put(SHA, PNG);
    expect(await cache.get(SHA)).toBe("blob:test/1");
    cache.put(SHA, PNG);
    expect(await cache.get(SHA)).toBe("blob:test/1");
    expect(loads).toEqual([]);
  });

  it("revokes every URL when the last holder releases it", async () => {
    const { cache, revoked } = fakeCache();
    const releaseA = cache.retain();
    const releaseB = cache.retain();
    const url = await cache.get(SHA);
    cache.put("cd".repeat(32), PNG);
    releaseA();
    releaseA();
    expect(revoked).toEqual([]);
    releaseB();
    expect(revoked.sort()).toEqual([url, "blob:test/2"].sort());
    expect(cache.size).toBe(0);
  });

  it("does not keep a URL loaded across a clear", async () => {
    const pending = deferred<ArrayBuffer>();
    let first = true;
    const { cache, loads, revoked } = fakeCache(() => {
      if (first) {
        first = false;
        return pending.promise;
      }
      return Promise.resolve(PNG.slice().buffer);
    });
    const stale = cache.get(SHA);
    cache.clear();
    pending.resolve(PNG.slice().buffer);
    const url = await stale;
    expect(loads).toEqual([SHA, SHA]);
    expect(await cache.get(SHA)).toBe(url);
    cache.clear();
    expect(revoked).toEqual([url]);
  });
});

import { RULES } from "./bindings/ruleValues";

/** Largest image accepted into a draft, in bytes (the domain's rule). */
export const MAX_IMAGE_BYTES = RULES.inline_image_bytes;

/** How a body refers to a file of the desk's store shown inline: `src="liaison-file:<sha256>"`. */
export const INLINE_FILE_SCHEME = "liaison-file:";

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The i18n key of the reason a file cannot be inserted, or null if it can. */
export function checkImageFile(
  file: { type: string; size: number },
  maxBytes: number = MAX_IMAGE_BYTES,
): string | null {
  if (!file.type.startsWith("image/")) return "image.not_image";
  if (file.size > maxBytes) return "image.too_large";
  return null;
}

/** Whether `value` is a SHA-256 as the store names files: 64 lowercase hex digits. */
export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

/** The src an inline image of the store gets in a body. */
export function inlineFileSrc(sha256: string): string {
  if (!isSha256Hex(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
  return INLINE_FILE_SCHEME + sha256;
}

/** The SHA-256 an image src refers to, or null if it is not a `liaison-file:` src. */
export function inlineFileSha(src: string | null | undefined): string | null {
  if (typeof src !== "string" || !src.startsWith(INLINE_FILE_SCHEME)) return null;
  const sha = src.slice(INLINE_FILE_SCHEME.length);
  return isSha256Hex(sha) ? sha : null;
}

/** SHA-256 of bytes as 64 lowercase hex digits (how the store names a file). */
export async function sha256Hex(bytes: BufferSource): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The image type found in the first bytes (the types the desk accepts), or "" if none. */
export function sniffImageMime(bytes: Uint8Array): string {
  const starts = (sig: number[], at = 0) => sig.every((b, i) => bytes[at + i] === b);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (starts([0xff, 0xd8, 0xff])) return "image/jpeg";
  if (starts([0x47, 0x49, 0x46, 0x38])) return "image/gif";
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return "image/webp";
  return "";
}

export interface ObjectUrls {
  create: (blob: Blob) => string;
  revoke: (url: string) => void;
}

/** A Blob of an image's bytes, typed by what the bytes are. */
export function blobOf(data: ArrayBuffer | Uint8Array): Blob {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: sniffImageMime(bytes) });
}

const browserUrls: ObjectUrls = {
  create: (blob) => URL.createObjectURL(blob),
  revoke: (url) => URL.revokeObjectURL(url),
};

/**
 * Object URLs of stored files, one per SHA-256, loaded once. Holders `retain()` the cache while
 * they show its URLs; when the last one releases it, every URL is revoked and the cache emptied.
 */
export class StoredImageUrls {
  private readonly entries = new Map<string, Promise<string>>();
  private readonly urls = new Map<string, string>();
  private holders = 0;
  private generation = 0;

  constructor(
    private readonly load: (sha256: string) => Promise<ArrayBuffer | Uint8Array>,
    private readonly objectUrls: ObjectUrls = browserUrls,
  ) {}

  /** A URL that shows the stored file; rejects if it cannot be read (and tries again next time). */
  get(sha256: string): Promise<string> {
    const known = this.entries.get(sha256);
    if (known) return known;
    const generation = this.generation;
    const entry = this.load(sha256).then(
      (data) => {
        // Cleared while loading: the cache of now holds (or will load) its own URL.
        if (generation !== this.generation) return this.get(sha256);
        const url = this.objectUrls.create(blobOf(data));
        this.urls.set(sha256, url);
        return url;
      },
      (e: unknown) => {
        if (this.entries.get(sha256) === entry) this.entries.delete(sha256);
        throw e;
      },
    );
    this.entries.set(sha256, entry);
    return entry;
  }

  /** Puts bytes already at hand into the cache (an image just stored), unless it has them. */
  put(sha256: string, bytes: Uint8Array): void {
    if (this.entries.has(sha256)) return;
    const url = this.objectUrls.create(blobOf(bytes));
    this.urls.set(sha256, url);
    this.entries.set(sha256, Promise.resolve(url));
  }

  /** Marks a holder; the returned function releases it (once). */
  retain(): () => void {
    this.holders += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holders -= 1;
      if (this.holders === 0) this.clear();
    };
  }

  /** Revokes every URL and forgets every file. */
  clear(): void {
    this.generation += 1;
    for (const url of this.urls.values()) this.objectUrls.revoke(url);
    this.urls.clear();
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

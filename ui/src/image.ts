/** Largest image accepted into a draft, in bytes (5 MB). */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

/** The i18n key of the reason a file cannot be inserted, or null if it can. */
export function checkImageFile(
  file: { type: string; size: number },
  maxBytes: number = MAX_IMAGE_BYTES,
): string | null {
  if (!file.type.startsWith("image/")) return "image.not_image";
  if (file.size > maxBytes) return "image.too_large";
  return null;
}

/** Reads a file as a data: URL. */
export function readAsDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      if (typeof reader.result === "string") resolve(reader.result);
      else reject(new Error("unexpected FileReader result"));
    };
    reader.onerror = () => reject(reader.error ?? new Error("FileReader failed"));
    reader.readAsDataURL(file);
  });
}

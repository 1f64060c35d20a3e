/** Local date and time of an RFC 3339 timestamp, e.g. "2026/11/27 10:05". */
export function formatDateTime(rfc3339: string, locale: string): string {
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return new Intl.DateTimeFormat(locale, {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).format(date);
}

/** Local time of day with seconds, "HH:MM:SS". */
export function formatClock(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

const SIZE_UNITS = ["B", "KB", "MB", "GB", "TB"] as const;

/**
 * A byte count for people, in binary steps with the usual short units (the same in
 * zh-CN and en): "512 B", "1.5 MB", "12 MB". One decimal below 10, none above.
 */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return "0 B";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  let shown = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  // 1023.96 KB rounds to 1024 KB: show it as the next unit instead.
  if (shown >= 1024 && unit < SIZE_UNITS.length - 1) {
    shown = 1;
    unit += 1;
  }
  return `${shown} ${SIZE_UNITS[unit]}`;
}

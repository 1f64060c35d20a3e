// One formatter per locale: making one costs far more than using it, and a list formats a time
// on every row.
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/** Local date and time of an RFC 3339 timestamp, e.g. "2026/11/27 10:05". */
export function formatDateTime(rfc3339: string, locale: string): string {
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  let format = dateTimeFormats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, {
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hour12: false,
    });
    dateTimeFormats.set(locale, format);
  }
  return format.format(date);
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

/** China Standard Time: UTC+8 all year (no daylight saving). */
const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;

export interface BeijingParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/** Calendar date and time of day in Beijing of an instant (epoch milliseconds). */
export function beijingParts(ms: number): BeijingParts {
  const d = new Date(ms + BEIJING_OFFSET_MS);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
  };
}

const pad2 = (n: number) => String(n).padStart(2, "0");

function isChinese(locale: string): boolean {
  return locale.toLowerCase().startsWith("zh");
}

/**
 * A Beijing calendar day for people: "11月30日" in Chinese ("2027年1月4日" when `now` is given
 * and the year differs from now's), "2026-11-30" in English (the desktop notifications' forms).
 */
export function formatBeijingDay(p: BeijingParts, locale: string, now?: Date): string {
  if (!isChinese(locale)) return `${p.year}-${pad2(p.month)}-${pad2(p.day)}`;
  const otherYear = now !== undefined && beijingParts(now.getTime()).year !== p.year;
  return `${otherYear ? `${p.year}年` : ""}${p.month}月${p.day}日`;
}

/**
 * Beijing date and time of an RFC 3339 instant: "11月27日 14:05" (the year added when it is not
 * `now`'s) or "2026-11-27 14:05". Unparseable input is returned as it is.
 */
export function formatBeijingDateTime(rfc3339: string, locale: string, now?: Date): string {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) return rfc3339;
  const p = beijingParts(ms);
  return `${formatBeijingDay(p, locale, now)} ${pad2(p.hour)}:${pad2(p.minute)}`;
}

/** Whether a title names an untitled draft or item: only an empty one (after trimming) does. */
export function isUntitled(title: string): boolean {
  return title.trim() === "";
}

/** A title as shown: itself, or the window's word for "untitled" (`drafts.untitled`). */
export function shownTitle(title: string, untitled: string): string {
  return isUntitled(title) ? untitled : title;
}

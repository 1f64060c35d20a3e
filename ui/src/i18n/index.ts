import { createI18n } from "vue-i18n";

import en from "./en.json";
import zhCN from "./zh-CN.json";

export type MessageSchema = typeof zhCN;
export const LOCALES = ["zh-CN", "en"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "zh-CN";
export const LOCALE_STORAGE_KEY = "liaison-desk.locale";

export const messages: Record<Locale, MessageSchema> = { "zh-CN": zhCN, en };

function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

function storedLocale(): Locale {
  try {
    const value = globalThis.localStorage?.getItem(LOCALE_STORAGE_KEY);
    return isLocale(value) ? value : DEFAULT_LOCALE;
  } catch {
    return DEFAULT_LOCALE;
  }
}

export function makeI18n(locale: Locale = DEFAULT_LOCALE) {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: DEFAULT_LOCALE,
    messages,
  });
}

export const i18n = makeI18n(storedLocale());

export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale;
}

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  try {
    globalThis.localStorage?.setItem(LOCALE_STORAGE_KEY, locale);
  } catch {
    // Storage unavailable: the choice lasts for this session only.
  }
  if (typeof document !== "undefined") document.documentElement.lang = locale;
}

/** Applies the stored locale to <html lang>. */
export function applyDocumentLocale(): void {
  if (typeof document !== "undefined") document.documentElement.lang = currentLocale();
}

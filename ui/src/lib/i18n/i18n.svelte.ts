// Translations: German by default, English selectable. Every visible string comes from de.json
// or en.json; the current language is a rune, so everything that calls t() follows a switch.
import de from "./de.json";
import en from "./en.json";

export type Language = "de" | "en";
export type MessageKey = keyof typeof de;
export type Params = Record<string, string | number>;

export const LANGUAGES: readonly Language[] = ["de", "en"];

const dictionaries: Record<Language, Record<MessageKey, string>> = { de, en };

/** BCP 47 tags for dates and numbers; en-GB writes dates the way European schools read them. */
const LOCALES: Record<Language, string> = { de: "de-DE", en: "en-GB" };

let current = $state<Language>("de");

export const i18n = {
  get language(): Language {
    return current;
  },
  set language(language: Language) {
    current = language;
  },
  get locale(): string {
    return LOCALES[current];
  },
};

/** The language a setting names, German for anything unknown. */
export function toLanguage(value: string | null | undefined): Language {
  return LANGUAGES.includes(value as Language) ? (value as Language) : "de";
}

export function hasMessage(key: string): key is MessageKey {
  return Object.hasOwn(de, key);
}

/** The text for `key` in the current language, with `{name}` replaced by `params.name`. */
export function t(key: MessageKey, params?: Params): string {
  const text = dictionaries[current][key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (match, name: string) =>
    name in params ? String(params[name]) : match,
  );
}

/** The translation of a key the server sends ("seen.today"), or the text itself. */
export function translateLabel(prefix: string, label: string): string {
  const key = `${prefix}${label}`;
  return hasMessage(key) ? t(key) : label;
}

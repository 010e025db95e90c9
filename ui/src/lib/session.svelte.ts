// The signed-in state of the window: profiles, the active one, and the settings, which are
// saved back to the shell whenever the user changes them.
import { call } from "./api";
import type { AppError } from "./bindings/AppError";
import type { AppState } from "./bindings/AppState";
import type { ProfileInfo } from "./bindings/ProfileInfo";
import type { Settings } from "./bindings/Settings";
import type { SignIn } from "./bindings/SignIn";
import { DEFAULT_COLUMNS } from "./columns";
import { toAppError } from "./errors";
import { i18n, toLanguage } from "./i18n/i18n.svelte";
import { emptyQuery, restoreQuery } from "./query";

/** Typing in the search box changes the settings many times a second; one write is enough. */
export const SAVE_DELAY_MS = 400;

export function defaultSettings(): Settings {
  return {
    language: "de",
    organisations: [],
    inventory: emptyQuery(),
    columns: [...DEFAULT_COLUMNS],
    syncIntervalMinutes: 15,
    highContrast: false,
    locationKeepHours: 24,
    tileServer: "",
    activeProfileId: null,
  };
}

export class Session {
  state = $state<AppState | null>(null);
  /** Why the settings could not be saved, for the window's notice. */
  saveError = $state<AppError | null>(null);
  #saveTimer: ReturnType<typeof setTimeout> | undefined;

  get profiles(): ProfileInfo[] {
    return this.state?.profiles ?? [];
  }

  get activeProfile(): ProfileInfo | null {
    const id = this.state?.activeProfileId;
    return this.profiles.find((profile) => profile.id === id) ?? null;
  }

  get settings(): Settings {
    return this.state?.settings ?? defaultSettings();
  }

  async load(): Promise<void> {
    this.#adopt(await call("app_state", {}));
  }

  async signIn(request: SignIn): Promise<ProfileInfo> {
    const profile = await call("sign_in", request);
    await this.load();
    return profile;
  }

  async switchTo(profileId: string): Promise<void> {
    await call("switch_profile", { profileId });
    await this.load();
  }

  async forget(profileId: string): Promise<void> {
    this.#adopt(await call("forget_profile", { profileId }));
  }

  /** Changes settings at once in the window, and saves them shortly after. */
  update(changes: Partial<Settings>): void {
    if (!this.state) return;
    this.state.settings = { ...this.state.settings, ...changes };
    if (changes.language !== undefined) i18n.language = toLanguage(changes.language);
    clearTimeout(this.#saveTimer);
    this.#saveTimer = setTimeout(() => void this.save(), SAVE_DELAY_MS);
  }

  async save(): Promise<void> {
    clearTimeout(this.#saveTimer);
    if (!this.state) return;
    try {
      await call("save_settings", $state.snapshot(this.state.settings));
      this.saveError = null;
    } catch (error) {
      this.saveError = toAppError(error);
    }
  }

  #adopt(state: AppState): void {
    const saved = state.settings ?? defaultSettings();
    const settings = {
      ...defaultSettings(),
      ...saved,
      inventory: restoreQuery(saved.inventory),
      language: toLanguage(saved.language),
    };
    this.state = { ...state, settings };
    i18n.language = settings.language;
  }
}

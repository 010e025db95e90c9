import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { ProfileInfo } from "../src/lib/bindings/ProfileInfo";
import { openApp } from "./app-harness";
import { appError, appState, freshness, PROD, requests } from "./fake-shell";

vi.mock("../src/lib/api", () => ({ call: vi.fn(), onSyncEvent: vi.fn(), onLedgerEvent: vi.fn() }));

const signedOut = appState({ activeProfileId: null, profiles: [] });

async function signIn(server: string, token: string) {
  await userEvent.type(screen.getByTestId("signin-server"), server);
  await userEvent.type(screen.getByTestId("signin-token"), token);
  await userEvent.click(screen.getByTestId("signin-submit"));
}

describe("signing in", () => {
  it("shows the sign-in form when no profile is active", async () => {
    await openApp({}, signedOut);

    expect(screen.getByTestId("signin-token")).toHaveAttribute("type", "password");
    expect(screen.getByText(/Profil → Zugriffstoken/)).toBeInTheDocument();
  });

  it("shows a rejected token next to the token field, translated by its key", async () => {
    const rejected = appError({
      code: "token_rejected",
      key: "token_rejected",
      field: "token",
      message: "The server rejected the access token. Create a new token in Relution.",
    });
    await openApp({ sign_in: () => Promise.reject(rejected) }, signedOut);

    await signIn("https://mdm.stadt.example", "old-token");

    const error = await screen.findByTestId("signin-error-token");
    expect(error).toHaveTextContent("Der Server hat den Zugriffstoken abgelehnt");
    expect(error, "the shell's message is the detail").toHaveTextContent("Create a new token");
    expect(screen.queryByTestId("signin-error-server")).toBeNull();
    expect(screen.getByTestId("signin-token")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("signin-token")).toHaveAccessibleDescription(/abgelehnt/);
  });

  it("shows an invalid server address next to the server field", async () => {
    const invalid = appError({
      code: "invalid_input",
      key: "invalid_server_url",
      field: "server",
      message: '"mdm" is not a server address.',
    });
    await openApp({ sign_in: () => Promise.reject(invalid) }, signedOut);

    await signIn("mdm", "token");

    const error = await screen.findByTestId("signin-error-server");
    expect(error).toHaveTextContent("Diese Serveradresse ist nicht gültig");
    expect(screen.queryByTestId("signin-error-token")).toBeNull();
  });

  it("falls back to the error's code when the key has no translation", async () => {
    const odd = appError({ code: "offline", key: "something_new", field: "server", message: "x" });
    await openApp({ sign_in: () => Promise.reject(odd) }, signedOut);

    await signIn("https://mdm.stadt.example", "token");

    expect(await screen.findByTestId("signin-error-server")).toHaveTextContent(
      "Server nicht erreichbar",
    );
  });

  it("is busy while the server is asked, with the button disabled", async () => {
    let answer: (profile: ProfileInfo) => void = () => {};
    const pending = new Promise<ProfileInfo>((resolve) => (answer = resolve));
    let signedIn = false;
    await openApp(
      {
        sign_in: () => pending.then((p) => ((signedIn = true), p)),
        app_state: () => (signedIn ? appState() : signedOut),
      },
      signedOut,
    );

    await signIn("https://mdm.stadt.example", "token");

    expect(screen.getByTestId("signin-submit")).toBeDisabled();
    expect(screen.getByTestId("signin-submit")).toHaveTextContent("Wird geprüft");
    answer(PROD);
    expect(await screen.findByTestId("profile-label")).toHaveTextContent("PROD");
  });
});

describe("error states in the main window", () => {
  it("shows an offline banner that the cache stays usable", async () => {
    await openApp({ check_server: () => freshness(false) });

    const banner = await screen.findByTestId("offline-banner");

    expect(banner).toHaveTextContent("Server nicht erreichbar – angezeigt wird der Stand vom");
    expect(banner).toHaveTextContent("01.12.2026");
    expect(screen.getByTestId("server-status")).toHaveAttribute("data-reachable", "false");
    expect(screen.getByTestId("sync-button")).toBeEnabled();
  });

  it("says the server is reachable when it answered", async () => {
    await openApp();

    await waitFor(() =>
      expect(screen.getByTestId("server-status")).toHaveAttribute("data-reachable", "true"),
    );
    expect(screen.queryByTestId("offline-banner")).toBeNull();
  });

  it("offers to sign in again when the token was rejected, with the server filled in", async () => {
    const rejected = appError({ code: "token_rejected", key: "token_rejected", message: "No." });
    await openApp({ start_sync: () => Promise.reject(rejected) });

    await userEvent.click(screen.getByTestId("sync-button"));
    const notice = await screen.findByRole("alert");
    expect(notice).toHaveTextContent("einen neuen Token");
    await userEvent.click(within(notice).getByRole("button", { name: "Neu anmelden" }));

    expect(await screen.findByTestId("signin-server")).toHaveValue(PROD.server);
  });

  it.each([
    ["no_rights", "Keine Berechtigung", "Relution-Administration"],
    ["server_error", "Der Server hat einen Fehler gemeldet", "später erneut"],
    ["local_storage", "nicht nutzbar", "Datenordner"],
    ["offline", "Server nicht erreichbar, der Cache bleibt nutzbar", "Netzverbindung"],
  ] as const)("explains a %s error and what to do about it", async (code, title, advice) => {
    const failure = appError({ code, key: "unknown_key", message: "Detail from the shell." });
    await openApp({ filter_choices: () => Promise.reject(failure) });

    const notice = await screen.findByRole("alert");

    expect(notice).toHaveTextContent(title);
    expect(notice).toHaveTextContent(advice);
    expect(notice).toHaveTextContent("Detail from the shell.");
  });

  it("asks before forgetting a profile, then returns to the sign-in form", async () => {
    const { call } = await openApp();

    await userEvent.click(screen.getByTestId("profile-menu"));
    await userEvent.click(screen.getByTestId("forget-profile"));
    expect(requests(call, "forget_profile"), "nothing happens before the confirmation").toEqual([]);
    await userEvent.click(screen.getByTestId("confirm-button"));

    expect(await screen.findByTestId("signin-server")).toBeInTheDocument();
    expect(requests(call, "forget_profile")).toEqual([{ profileId: PROD.id }]);
  });
});

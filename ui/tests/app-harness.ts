// Renders the whole app against the fake shell. Each test file mocks src/lib/api.ts with
// `vi.mock("../src/lib/api")` and hands the mock to `openApp`.
import { render, screen, waitFor } from "@testing-library/svelte";
import { expect, vi } from "vitest";

import * as api from "../src/lib/api";
import type { AppState } from "../src/lib/bindings/AppState";
import App from "../src/App.svelte";
import { appState, fakeShell } from "./fake-shell";

type Overrides = Parameters<typeof fakeShell>[0];

export async function openApp(overrides: Overrides = {}, state: AppState = appState()) {
  const shell = fakeShell(overrides, state);
  const call = vi.mocked(api.call);
  call.mockImplementation(shell.call as typeof api.call);
  vi.mocked(api.onSyncEvent).mockImplementation(shell.onSyncEvent);

  const view = render(App);
  await waitFor(() => {
    const opened = screen.queryByTestId("profile-label") ?? screen.queryByTestId("signin-server");
    expect(opened, "the app opens the main window or the sign-in form").not.toBeNull();
  });
  return { ...view, shell, call };
}

/** Waits until the inventory shows rows. */
export async function rowsShown() {
  return waitFor(() => {
    const rows = screen.getAllByTestId("device-row");
    expect(rows.length).toBeGreaterThan(0);
    return rows;
  });
}

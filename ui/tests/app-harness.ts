// Renders the whole app against the fake shell. Each test file mocks src/lib/api.ts with
// `vi.mock("../src/lib/api")` and hands the mock to `openApp`.
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, vi } from "vitest";

import * as api from "../src/lib/api";
import type { AppState } from "../src/lib/bindings/AppState";
import App from "../src/App.svelte";
import { appState, device, fakeActions, fakeShell, type FakeActions } from "./fake-shell";

type Overrides = Parameters<typeof fakeShell>[0];

export async function openApp(
  overrides: Overrides = {},
  state: AppState = appState(),
  actions: FakeActions = fakeActions(),
) {
  const shell = fakeShell(overrides, state, actions);
  const call = vi.mocked(api.call);
  call.mockImplementation(shell.call as typeof api.call);
  vi.mocked(api.onSyncEvent).mockImplementation(shell.onSyncEvent);
  vi.mocked(api.onLedgerEvent).mockImplementation(shell.onLedgerEvent);

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

/** Opens the app and the detail of the device at `index` (one of the first rows). */
export async function openDevice(
  index: number,
  actions: FakeActions = fakeActions(),
  overrides: Overrides = {},
  state: AppState = appState(),
) {
  const app = await openApp(overrides, state, actions);
  const rows = await rowsShown();
  await userEvent.click(within(rows[index]).getByText(device(index).name));
  const detail = await screen.findByTestId("device-detail");
  await within(detail).findByTestId("detail-serial");
  return { ...app, detail };
}

/** Opens the action dialog from the device detail's button with this test id. */
export async function openAction(testid: string) {
  const button = screen.getByTestId(testid);
  await waitFor(() => expect(button).toBeEnabled());
  await userEvent.click(button);
  return screen.findByTestId("action-dialog");
}

/** The preflight checks the dialog shows, as key → verdict. */
export async function checksShown(dialog: HTMLElement) {
  const checks = await within(dialog).findAllByTestId("preflight-check");
  return Object.fromEntries(checks.map((check) => [check.dataset.key, check.dataset.verdict]));
}

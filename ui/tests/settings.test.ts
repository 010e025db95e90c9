import { screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { openApp } from "./app-harness";
import { requests } from "./fake-shell";

vi.mock("../src/lib/api", () => ({ call: vi.fn(), onSyncEvent: vi.fn(), onLedgerEvent: vi.fn() }));

describe("the location settings", () => {
  it("save how long locations are kept and the tile server", async () => {
    const { call } = await openApp();
    await userEvent.click(screen.getByTestId("settings-menu"));

    const hours = screen.getByTestId("setting-location-hours");
    expect(hours).toHaveValue(24);
    await userEvent.clear(hours);
    await userEvent.type(hours, "8");
    await userEvent.type(
      screen.getByTestId("setting-tile-server"),
      "https://tiles.stadt.example/{{z}/{{x}/{{y}.png",
    );

    await waitFor(() =>
      expect(requests(call, "save_settings").at(-1)).toMatchObject({
        locationKeepHours: 8,
        tileServer: "https://tiles.stadt.example/{z}/{x}/{y}.png",
      }),
    );
  });

  it("refuse a tile server that is not https or lacks the tile placeholders", async () => {
    const { call } = await openApp();
    await userEvent.click(screen.getByTestId("settings-menu"));

    await userEvent.type(screen.getByTestId("setting-tile-server"), "http://tiles.example/a.png");

    const field = screen.getByTestId("setting-tile-server");
    expect(field).toHaveAttribute("aria-invalid", "true");
    expect(field).toHaveAccessibleDescription(/muss mit https:\/\/ beginnen/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const saved = requests(call, "save_settings").map((settings) => settings.tileServer);
    expect(
      saved.every((server) => server === ""),
      "nothing invalid is saved",
    ).toBe(true);
  });
});

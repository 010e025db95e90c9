import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { openUrl } from "@tauri-apps/plugin-opener";
import { afterEach, describe, expect, it, vi } from "vitest";

import { defaultSettings } from "../src/lib/session.svelte";
import { openDevice } from "./app-harness";
import { appState, device, fakeActions, ledgerEntry, NOW, PROD, requests } from "./fake-shell";

vi.mock("../src/lib/api", () => ({ call: vi.fn(), onSyncEvent: vi.fn(), onLedgerEvent: vi.fn() }));
vi.mock("@tauri-apps/plugin-opener", () => ({ openUrl: vi.fn(async () => {}) }));

/** What the map was drawn with: the fake stands in for Leaflet, which needs a real layout. */
const leaflet = vi.hoisted(() => ({
  tileErrors: [] as (() => void)[],
  tileUrls: [] as string[],
  circles: [] as { radius: number }[],
}));

vi.mock("leaflet", () => {
  const layer = () => ({ addTo: () => layer(), getBounds: () => ({}) });
  return {
    latLng: (lat: number, lng: number) => ({ lat, lng, toBounds: () => ({}) }),
    map: () => ({
      attributionControl: { setPrefix: () => {} },
      fitBounds: () => {},
      remove: () => {},
    }),
    tileLayer: (url: string) => {
      leaflet.tileUrls.push(url);
      const tiles = {
        on: (event: string, handler: () => void) => {
          if (event === "tileerror") leaflet.tileErrors.push(handler);
          return tiles;
        },
        addTo: () => tiles,
      };
      return tiles;
    },
    circle: (_: unknown, options: { radius: number }) => (leaflet.circles.push(options), layer()),
    circleMarker: () => layer(),
    control: { zoom: () => layer() },
  };
});

const LOST = 1;
const uuid = device(LOST).uuid;
const located = { latitude: 51.45, longitude: 7.01, accuracyM: 35, takenAt: NOW - 5 * 60_000 };

function acknowledged(kind: string, id: number) {
  return ledgerEntry(LOST, { id, kind, state: "ACKNOWLEDGED", updatedAt: NOW - 60_000 + id });
}

describe("the lost-device workflow", () => {
  it("unlocks ringing and locating once the ledger shows lost mode acknowledged", async () => {
    const actions = fakeActions();
    const { shell } = await openDevice(LOST, actions);
    await userEvent.click(screen.getByTestId("lost-workflow-toggle"));
    const workflow = screen.getByTestId("lost-workflow");
    expect(within(workflow).getByTestId("workflow-ring")).toBeDisabled();
    expect(within(workflow).getByTestId("workflow-locate")).toBeDisabled();

    await userEvent.click(within(workflow).getByTestId("workflow-enable"));
    const dialog = await screen.findByTestId("action-dialog");
    await userEvent.type(within(dialog).getByTestId("action-message"), "Bitte abgeben");
    await waitFor(() => expect(within(dialog).getByTestId("action-confirm")).toBeEnabled());
    await userEvent.click(within(dialog).getByTestId("action-confirm"));
    await within(dialog).findByTestId("action-outcome");
    await userEvent.click(within(dialog).getByTestId("action-close"));
    const enable = await within(workflow).findByTestId("workflow-state-enable");
    await waitFor(() => expect(enable).toHaveAttribute("data-state", "QUEUED"));
    expect(
      within(workflow).getByTestId("workflow-ring"),
      "not before it is acknowledged",
    ).toBeDisabled();

    const entry = actions.ledger.at(-1)!;
    Object.assign(entry, { state: "ACKNOWLEDGED", updatedAt: NOW + 1 });
    shell.emitLedger([entry]);

    await waitFor(() => expect(enable).toHaveAttribute("data-state", "ACKNOWLEDGED"));
    expect(enable).toHaveTextContent("Bestätigt");
    expect(within(workflow).getByTestId("workflow-ring")).toBeEnabled();
    expect(within(workflow).getByTestId("workflow-locate")).toBeEnabled();
    expect(within(workflow).getByTestId("workflow-disable")).toBeEnabled();
  });

  it("opens by itself for a device the cache knows in lost mode", async () => {
    await openDevice(LOST, fakeActions({ lostMode: new Set([uuid]) }));

    const workflow = await screen.findByTestId("lost-workflow");

    expect(within(workflow).getByTestId("workflow-ring")).toBeEnabled();
    const steps = within(workflow).getAllByTestId("workflow-step");
    expect(steps.map((step) => step.dataset.step)).toEqual(["1", "2", "3"]);
  });

  it("locks the steps again once disabling lost mode is acknowledged", async () => {
    const ledger = [acknowledged("ENABLE_LOST_MODE", 1), acknowledged("DISABLE_LOST_MODE", 2)];

    await openDevice(LOST, fakeActions({ ledger }));
    await userEvent.click(screen.getByTestId("lost-workflow-toggle"));

    const workflow = screen.getByTestId("lost-workflow");
    await waitFor(() =>
      expect(within(workflow).getByTestId("workflow-state-disable")).toHaveAttribute(
        "data-state",
        "ACKNOWLEDGED",
      ),
    );
    expect(within(workflow).getByTestId("workflow-ring")).toBeDisabled();
  });
});

describe("a device's location", () => {
  afterEach(() => {
    vi.useRealTimers();
    leaflet.tileErrors.length = 0;
    leaflet.tileUrls.length = 0;
    leaflet.circles.length = 0;
  });

  it("without a tile server shows coordinates, accuracy, time and the OpenStreetMap link", async () => {
    vi.useFakeTimers({ now: NOW, shouldAdvanceTime: true });
    const actions = fakeActions({
      ledger: [acknowledged("ENABLE_LOST_MODE", 1), acknowledged("DEVICE_LOCATION", 2)],
      locations: new Map([[uuid, located]]),
      keptHours: 24,
    });
    await openDevice(LOST, actions);

    const view = await screen.findByTestId("map-no-tiles");

    const facts = within(view).getByTestId("location-coordinates");
    expect(facts).toHaveTextContent("51,45000, 7,01000");
    expect(within(view).getByTestId("location-accuracy")).toHaveTextContent("± 35 m");
    expect(within(view).getByTestId("location-time")).toHaveTextContent("vor 5 Min.");
    expect(screen.getByTestId("location-kept")).toHaveTextContent("24 Stunden");
    expect(screen.queryByTestId("map"), "no map without a tile server").toBeNull();
    const link = within(view).getByTestId("osm-link");
    expect(link).toHaveTextContent("In OpenStreetMap öffnen");
    await userEvent.click(link);
    expect(vi.mocked(openUrl)).toHaveBeenCalledWith(
      "https://www.openstreetmap.org/?mlat=51.45&mlon=7.01#map=17/51.45/7.01",
    );
  });

  it("is drawn on the map with the accuracy's circle when a tile server is set", async () => {
    const settings = { ...defaultSettings(), tileServer: "https://tiles.example.org/{z}/{x}/{y}" };
    const actions = fakeActions({
      ledger: [acknowledged("DEVICE_LOCATION", 2)],
      locations: new Map([[uuid, located]]),
    });

    await openDevice(LOST, actions, {}, appState({ settings, activeProfileId: PROD.id }));

    expect(await screen.findByTestId("map")).toBeInTheDocument();
    await waitFor(() => expect(leaflet.tileUrls).toEqual([settings.tileServer]));
    expect(leaflet.circles[0].radius).toBe(35);
    expect(screen.queryByTestId("map-no-tiles")).toBeNull();
    expect(screen.getByTestId("location-coordinates")).toHaveTextContent("51,45000");
  });

  it("falls back to the coordinates when a map tile cannot be loaded", async () => {
    const settings = { ...defaultSettings(), tileServer: "https://tiles.example.org/{z}/{x}/{y}" };
    const actions = fakeActions({
      ledger: [acknowledged("DEVICE_LOCATION", 2)],
      locations: new Map([[uuid, located]]),
    });
    await openDevice(LOST, actions, {}, appState({ settings, activeProfileId: PROD.id }));
    await waitFor(() => expect(leaflet.tileErrors.length).toBeGreaterThan(0));

    leaflet.tileErrors[0]();

    const view = await screen.findByTestId("map-no-tiles");
    expect(view).toHaveTextContent("Kachelserver ist nicht erreichbar");
    expect(within(view).getByTestId("osm-link")).toBeInTheDocument();
    expect(screen.queryByTestId("map")).toBeNull();
  });

  it("is fetched again when a locate is acknowledged", async () => {
    const actions = fakeActions({ lostMode: new Set([uuid]) });
    const { shell, call } = await openDevice(LOST, actions);
    const locate = ledgerEntry(LOST, { id: 9, kind: "DEVICE_LOCATION", state: "SENT" });
    actions.ledger.push(locate);
    shell.emitLedger([locate]);
    expect(await screen.findByTestId("location-pending")).toBeInTheDocument();

    Object.assign(locate, { state: "ACKNOWLEDGED" });
    actions.locations.set(uuid, located);
    shell.emitLedger([locate]);

    expect(await screen.findByTestId("map-no-tiles")).toBeInTheDocument();
    expect(requests(call, "device_location").length).toBeGreaterThanOrEqual(2);
  });
});

import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { openApp, openDevice } from "./app-harness";
import { appState, fakeActions } from "./fake-shell";
import { fakePolicies, NORD, policyHandlers, sent, type FakePolicies } from "./fake-policies";

vi.mock("../src/lib/api", () => ({ call: vi.fn(), onSyncEvent: vi.fn(), onLedgerEvent: vi.fn() }));

type Overrides = Parameters<typeof openApp>[0];

async function openPolicies(world: FakePolicies = fakePolicies()) {
  const app = await openApp(policyHandlers(world) as unknown as Overrides);
  await userEvent.click(screen.getByTestId("tab-policies"));
  await screen.findAllByTestId("policy");
  return app;
}

function policy(uuid: string) {
  return screen.getAllByTestId("policy").find((element) => element.dataset.uuid === uuid)!;
}

describe("the policies view", () => {
  it("lists each organisation's policies with version, groups, time windows and values", async () => {
    await openPolicies();

    const lessons = policy("nord-lessons");
    expect(within(lessons).getByTestId("policy-version")).toHaveTextContent(
      "Version 2 · veröffentlicht",
    );
    expect(within(lessons).getByTestId("policy-groups")).toHaveTextContent("Koffer 5a, Klasse 7b");
    expect(within(lessons).getByTestId("policy-windows")).toHaveTextContent("Mo–Fr 08:00–13:00");
    const [apps, restrictions] = within(lessons).getAllByTestId("policy-configuration");
    expect(apps).toHaveTextContent("App-Regeln „Unterricht“");
    expect(apps).toHaveTextContent("Listenartnur gelistete Apps erlaubt");
    expect(apps).toHaveTextContent("com.apple.Pages, de.schule.app");
    expect(restrictions).toHaveTextContent("Kamera erlaubtJa");
  });

  it("names the version in effect while the newest is not published", async () => {
    await openPolicies();

    expect(within(policy("nord-students")).getByTestId("policy-version")).toHaveTextContent(
      "Version 5 · nicht veröffentlicht (gültig ist Version 4)",
    );
  });

  it("publishes an unpublished version after a yes", async () => {
    const { call } = await openPolicies();

    await userEvent.click(within(policy("nord-students")).getByTestId("policy-publish"));
    expect(screen.getByRole("alertdialog")).toHaveTextContent("Version 5 von „Schüler-iPads“");
    await userEvent.click(screen.getByTestId("confirm-button"));

    await waitFor(() =>
      expect(sent(call, "publish_policy")).toEqual([
        { policyUuid: "nord-students", orgUuid: NORD.uuid, version: 5 },
      ]),
    );
    expect(await screen.findByTestId("policies-message")).toHaveTextContent(
      "Version 5 von „Schüler-iPads“ ist in Gesamtschule Nord veröffentlicht.",
    );
    expect(within(policy("nord-students")).getByTestId("policy-version")).toHaveTextContent(
      "Version 5 · veröffentlicht",
    );
    expect(within(policy("nord-students")).queryByTestId("policy-publish")).toBeNull();
  });

  it("names the organisation when publishing there is not allowed", async () => {
    await openPolicies(fakePolicies({ noRights: new Set([NORD.uuid]) }));

    await userEvent.click(within(policy("nord-students")).getByTestId("policy-publish"));
    await userEvent.click(screen.getByTestId("confirm-button"));

    expect(await screen.findByTestId("policies-message")).toHaveTextContent(
      "Keine Berechtigung in Gesamtschule Nord",
    );
  });

  it("narrows the list to one organisation", async () => {
    await openPolicies();

    await userEvent.selectOptions(screen.getByTestId("policies-org"), "org-sued");

    expect(screen.getAllByTestId("policy").map((p) => p.dataset.uuid)).toEqual(["sued-students"]);
  });
});

describe("the device detail", () => {
  it("shows the policies that apply to the device", async () => {
    const { call, detail } = await openDevice(0, fakeActions(), {}, appState());

    const section = await within(detail).findByTestId("device-policies");
    await waitFor(() => expect(within(section).getAllByTestId("policy")).toHaveLength(1));

    expect(sent(call, "device_policies")).toEqual([{ uuid: "uuid-0" }]);
    expect(section).toHaveTextContent("Unterricht mit Zeitfenster");
    expect(section).toHaveTextContent("Mo–Fr 08:00–13:00");
    expect(section).toHaveTextContent("App-Regeln „Unterricht“");
  });
});

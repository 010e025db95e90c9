import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { openApp } from "./app-harness";
import { appState, PROD, QM } from "./fake-shell";
import { fakePolicies, NORD, policyHandlers, sent, type FakePolicies } from "./fake-policies";

vi.mock("../src/lib/api", () => ({ call: vi.fn(), onSyncEvent: vi.fn(), onLedgerEvent: vi.fn() }));

type Overrides = Parameters<typeof openApp>[0];

const districtUser = () => appState({ profiles: [{ ...PROD, role: "DISTRICT_ADMIN" }, QM] });

async function openTemplates(world: FakePolicies = fakePolicies()) {
  const app = await openApp(policyHandlers(world) as unknown as Overrides, districtUser());
  await userEvent.click(screen.getByTestId("tab-templates"));
  await screen.findByTestId("template-matrix");
  return app;
}

function cell(org: string, template: string) {
  const row = screen
    .getAllByTestId("template-school")
    .find((element) => element.dataset.org === org)!;
  return within(row)
    .getAllByTestId("template-cell")
    .find((element) => element.dataset.template === template)!;
}

async function openDiff(org = NORD.name, template = "Unterricht mit Zeitfenster") {
  await userEvent.click(cell(org, template));
  const diff = await screen.findByTestId("policy-diff");
  await within(diff).findByTestId("diff-counts");
  return diff;
}

async function confirmCopy(diff: HTMLElement) {
  await userEvent.click(within(diff).getByTestId("copy-template"));
  const summary = await screen.findByTestId("copy-summary");
  await userEvent.click(screen.getByTestId("confirm-button"));
  return summary;
}

describe("the templates view", () => {
  it("shows each school against each template as same, differs or missing", async () => {
    await openTemplates();

    expect(cell("Gesamtschule Nord", "Unterricht mit Zeitfenster")).toHaveAttribute(
      "data-state",
      "differs",
    );
    expect(cell("Gesamtschule Nord", "Unterricht mit Zeitfenster")).toHaveTextContent(
      "3 Abweichungen",
    );
    expect(cell("Grundschule Süd", "Unterricht mit Zeitfenster")).toHaveTextContent("fehlt");
    expect(cell("Grundschule Süd", "Schüler-iPads")).toHaveTextContent("gleich");
  });

  it("is offered to district users only", async () => {
    await openApp();

    expect(screen.queryByTestId("tab-templates")).toBeNull();
    expect(screen.queryByTestId("tab-district")).toBeNull();
    expect(screen.getByTestId("tab-policies")).toBeInTheDocument();
  });

  it("compares a school's copy with its template: added, removed and changed, side by side", async () => {
    await openTemplates();

    const diff = await openDiff();

    expect(within(diff).getByTestId("diff-counts")).toHaveTextContent(
      "1 kommen hinzu · 1 fallen weg · 1 geändert · 1 gleich",
    );
    const added = within(diff).getByTestId("diff-added");
    expect(added).toHaveTextContent("WLAN „Schul-WLAN“");
    expect(added).toHaveTextContent("Netzname (SSID)Schule");
    expect(within(diff).getByTestId("diff-removed")).toHaveTextContent(
      "Web-Clip „Vertretungsplan“",
    );
    const camera = within(within(diff).getByTestId("diff-changed"))
      .getAllByRole("row")
      .find((row) => row.dataset.key === "allowCamera")!;
    expect(within(camera).getByTestId("value-template"), "template value").toHaveTextContent(
      "Nein",
    );
    expect(within(camera).getByTestId("value-copy"), "school value").toHaveTextContent("Ja");
    expect(within(diff).getByTestId("diff-copy-version")).toHaveTextContent(
      "Version 2 · veröffentlicht",
    );
  });

  it("asks before copying with exactly what will change, and shows the new unpublished version", async () => {
    const { call } = await openTemplates();
    const diff = await openDiff();

    await userEvent.click(within(diff).getByTestId("copy-template"));
    const summary = await screen.findByTestId("copy-summary");

    expect(screen.getByRole("alertdialog")).toHaveTextContent(
      "In Gesamtschule Nord entsteht Version 3 von „Unterricht mit Zeitfenster“",
    );
    expect(summary).toHaveTextContent("Kommt hinzu: WLAN „Schul-WLAN“");
    expect(summary).toHaveTextContent("Fällt weg: Web-Clip „Vertretungsplan“");
    expect(summary).toHaveTextContent("Einschränkungen „Standard“: Kamera erlaubt: Ja → Nein");
    expect(summary).toHaveTextContent("Unverändert: 1 Konfiguration.");
    expect(summary).toHaveTextContent("gilt weiter Version 2");
    expect(sent(call, "copy_template"), "nothing sent before the yes").toHaveLength(0);

    await userEvent.click(screen.getByTestId("confirm-button"));

    expect(await within(diff).findByTestId("copy-result")).toHaveTextContent(
      "In Gesamtschule Nord gibt es jetzt Version 3 von „Unterricht mit Zeitfenster“, nicht veröffentlicht",
    );
    expect(sent(call, "copy_template")).toEqual([
      {
        templateUuid: "tpl-lessons",
        orgUuid: NORD.uuid,
        expectedTemplateVersion: 4,
        expectedTargetVersion: 2,
      },
    ]);
    expect(within(diff).getByTestId("diff-copy-version")).toHaveTextContent(
      "Version 3 · nicht veröffentlicht (gültig ist Version 2)",
    );
    expect(within(diff).getByTestId("diff-same")).toBeInTheDocument();
  });

  it("refreshes the comparison and says nothing was copied when a policy changed meanwhile", async () => {
    const world = fakePolicies({ changeBeforeNextCopy: true });
    const { call } = await openTemplates(world);
    const diff = await openDiff();
    const before = sent(call, "template_diff").length;

    await confirmCopy(diff);

    expect(await within(diff).findByTestId("copy-problem")).toHaveTextContent(
      "Es wurde nichts kopiert",
    );
    await waitFor(() =>
      expect(within(diff).getByTestId("diff-template-version")).toHaveTextContent("Version 5"),
    );
    expect(sent(call, "template_diff").length, "the preview is fetched again").toBe(before + 1);
    expect(
      within(diff).getByTestId("diff-copy-version"),
      "the school is unchanged",
    ).toHaveTextContent("Version 2 · veröffentlicht");
  });

  it("names the organisation when the user has no rights there", async () => {
    await openTemplates(fakePolicies({ noRights: new Set([NORD.uuid]) }));
    const diff = await openDiff();

    await confirmCopy(diff);

    expect(await within(diff).findByTestId("copy-problem")).toHaveTextContent(
      "Keine Berechtigung in Gesamtschule Nord: Es wurde nichts kopiert.",
    );
  });

  it("creates a new policy where the school has no copy, and publishes it after a yes", async () => {
    const { call } = await openTemplates();
    const diff = await openDiff("Grundschule Süd");
    expect(within(diff).getByTestId("diff-copy-version")).toHaveTextContent("keine Kopie");

    const summary = await confirmCopy(diff);
    expect(summary).toHaveTextContent("Auf den Geräten ändert sich nichts");
    await within(diff).findByTestId("copy-result");
    await userEvent.click(within(diff).getByTestId("diff-publish"));
    await userEvent.click(screen.getByTestId("confirm-button"));

    await waitFor(() =>
      expect(sent(call, "publish_policy")).toEqual([
        { policyUuid: "org-sued-tpl-lessons", orgUuid: "org-sued", version: 1 },
      ]),
    );
    await waitFor(() =>
      expect(within(diff).getByTestId("diff-copy-version")).toHaveTextContent(
        "Version 1 · veröffentlicht",
      ),
    );
    await waitFor(() =>
      expect(
        cell("Grundschule Süd", "Unterricht mit Zeitfenster"),
        "the matrix follows",
      ).toHaveTextContent("gleich"),
    );
  });

  it("closes the comparison with Escape and returns the focus to its cell", async () => {
    await openTemplates();
    const opened = cell("Gesamtschule Nord", "Schüler-iPads");
    await userEvent.click(opened);
    await screen.findByTestId("policy-diff");

    await userEvent.keyboard("{Escape}");

    expect(screen.queryByTestId("policy-diff")).toBeNull();
    expect(document.activeElement).toBe(opened);
  });
});

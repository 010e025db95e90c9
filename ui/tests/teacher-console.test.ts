import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { appError, appState } from "./fake-shell";
import { requests } from "./fake-shell";
import { checkIn, lessonWorld, openConsole, TEACHER, teacherState } from "./lesson-fixtures";

vi.mock("../src/lib/api", () => ({
  call: vi.fn(),
  onSyncEvent: vi.fn(),
  onLedgerEvent: vi.fn(),
  onLessonEvent: vi.fn(),
}));

type Requests = (call: ReturnType<typeof vi.fn>, name: string) => Record<string, unknown>[];
const sent = requests as unknown as Requests;

function tiles() {
  return screen.getAllByTestId("lesson-tile");
}

function tileOf(uuid: string) {
  return tiles().find((tile) => tile.dataset.uuid === uuid)!;
}

async function openClass(name = "7b") {
  const item = await screen.findByText(name, { selector: "[data-testid='class-item'] .name" });
  await userEvent.click(item);
  await waitFor(() => expect(screen.getByRole("heading", { level: 2 })).toHaveTextContent(name));
}

async function startLesson() {
  await userEvent.click(await screen.findByTestId("lesson-start"));
  await screen.findByTestId("lesson-running");
}

describe("the teacher console", () => {
  it("is where a teacher's window opens, with their classes and no inventory actions", async () => {
    await openConsole();

    expect(screen.getByTestId("tab-lessons")).toHaveTextContent("Unterricht");
    expect(screen.getByTestId("tab-lessons")).toHaveAttribute("aria-selected", "true");
    expect(screen.queryByTestId("tab-inventory"), "a teacher works in lessons only").toBeNull();
    expect(screen.queryByTestId("action-erase")).toBeNull();
    expect(screen.queryByText("Meine Organisationen:"), "no organisations to choose").toBeNull();
    const classes = await screen.findAllByTestId("class-item");
    expect(classes.map((item) => item.dataset.name)).toEqual(["7b", "9a Mathe"]);
    expect(classes[0]).toHaveTextContent("8 Schüler · 8 Geräte");
  });

  it("lists the classes the first sync brings, and opens a teacher's only class", async () => {
    const world = lessonWorld();
    const classes = world.classes.slice(0, 1);
    world.classes = [];
    const { shell } = await openConsole(world);
    expect(await screen.findByTestId("class-none")).toHaveTextContent("Keine Klassen");

    world.classes = classes;
    shell.emit({ kind: "started", org: "org-nord", name: "Gesamtschule Nord", full: true });
    shell.emit({ kind: "done", error: null });

    expect(await screen.findByTestId("class-item")).toHaveAttribute("data-name", "7b");
    expect(await screen.findAllByTestId("lesson-tile"), "the only class opens").toHaveLength(8);
  });

  it("is a tab beside the inventory for a coordinator", async () => {
    await openConsole(lessonWorld(), appState());

    expect(screen.getByTestId("tab-inventory")).toHaveAttribute("aria-selected", "true");
    await userEvent.click(screen.getByTestId("tab-lessons"));

    expect(await screen.findAllByTestId("class-item")).toHaveLength(2);
  });

  it("shows one tile per device: student, online or last seen, battery, supervision", async () => {
    await openConsole();

    await openClass();

    expect(tiles()).toHaveLength(8);
    const first = tileOf("dev-1");
    expect(first).toHaveTextContent("Schüler 1");
    expect(first).toHaveTextContent("NORD-iPad-01");
    expect(first).toHaveTextContent("Online");
    expect(first).toHaveTextContent("Akku 80 %");
    expect(within(tileOf("dev-2")).getByTestId("tile-battery")).toHaveClass("low");
    expect(tileOf("dev-5"), "device 5 is offline").toHaveAttribute("data-online", "false");
    expect(tileOf("dev-5")).toHaveTextContent(/Zuletzt vor 3 Std/);
    expect(tileOf("dev-3")).toHaveTextContent("nicht betreut");
    expect(screen.getByTestId("lesson-commands-idle")).toBeInTheDocument();
    expect(screen.getByTestId("lesson-lock"), "no commands before the lesson").toBeDisabled();
  });
});

describe("a lesson's time", () => {
  it("starts with 45 minutes, shows its end time and counts down", async () => {
    const { call } = await openConsole();
    await openClass();

    expect(screen.getByTestId("lesson-minutes")).toHaveValue(45);
    expect(screen.getByTestId("lesson-start-ends")).toHaveTextContent(/Endet um \d\d:\d\d/);
    await startLesson();

    expect(sent(call, "start_lesson")).toEqual([
      { classUuid: "class-7b", durationMinutes: 45, deviceUuids: null },
    ]);
    expect(screen.getByTestId("lesson-ends")).toHaveTextContent(/bis \d\d:\d\d/);
    expect(screen.getByTestId("lesson-countdown").textContent).toMatch(/^4[45]:\d\d$/);
    expect(screen.getByTestId("lesson-lock")).toBeEnabled();
  });

  it("refuses a duration over a school day next to the field", async () => {
    const { call } = await openConsole();
    await openClass();

    const minutes = screen.getByTestId("lesson-minutes");
    await userEvent.clear(minutes);
    await userEvent.type(minutes, "601");

    expect(screen.getByTestId("lesson-minutes-error")).toHaveTextContent("1 und 600 Minuten");
    expect(screen.getByTestId("lesson-start")).toBeDisabled();
    expect(sent(call, "start_lesson")).toEqual([]);
  });

  it("adds ten minutes", async () => {
    const { world } = await openConsole();
    await openClass();
    await startLesson();
    const before = world.views.get("class-7b")!.lesson!.endsAt;

    await userEvent.click(screen.getByTestId("lesson-extend"));

    await waitFor(() =>
      expect(world.views.get("class-7b")!.lesson!.endsAt).toBe(before + 10 * 60_000),
    );
    await waitFor(() =>
      expect(screen.getByTestId("lesson-countdown").textContent).toMatch(/^5[45]:\d\d$/),
    );
  });

  it("ends early only after a confirmation that says the restrictions are lifted", async () => {
    const { call } = await openConsole();
    await openClass();
    await startLesson();
    await userEvent.click(screen.getByTestId("lesson-lock"));

    await userEvent.click(screen.getByTestId("lesson-end"));
    const dialog = screen.getByRole("alertdialog");
    expect(dialog).toHaveTextContent("Sperren und Einschränkungen");
    expect(dialog).toHaveTextContent("aufgehoben");
    await userEvent.click(within(dialog).getByText("Abbrechen"));
    expect(sent(call, "end_lesson"), "cancel keeps the lesson").toEqual([]);
    await userEvent.click(screen.getByTestId("lesson-end"));
    await userEvent.click(screen.getByTestId("confirm-button"));

    const ended = await screen.findByTestId("lesson-ended");
    expect(sent(call, "end_lesson")).toEqual([{ uuid: "class-7b" }]);
    expect(ended).toHaveTextContent("vorzeitig beendet");
    expect(ended).toHaveTextContent("Einschränkungen sind aufgehoben");
    expect(screen.queryAllByTestId("tile-locked"), "no tile stays locked").toEqual([]);
    expect(screen.getByTestId("lesson-start"), "a new lesson can start").toBeEnabled();
  });
});

describe("the end of a lesson by its time", () => {
  it("shows the restrictions lifted when the server ended the lesson at its end time", async () => {
    const { world, emitLesson } = await openConsole();
    await openClass();
    await startLesson();
    await userEvent.click(screen.getByTestId("lesson-lock"));

    const view = world.views.get("class-7b")!;
    const tiles = view.tiles.map((t) => ({ ...t, locked: false, ack: "pending" as const }));
    const lesson = { ...view.lesson!, state: "ended" as const, endReason: "END_TIME" };
    world.views.set("class-7b", { ...view, tiles, lesson });
    emitLesson("class-7b");

    const ended = await screen.findByTestId("lesson-ended");
    expect(ended).toHaveTextContent(/Der Unterricht ist um \d\d:\d\d zu Ende gegangen/);
    expect(ended).toHaveTextContent("Einschränkungen sind aufgehoben");
    expect(screen.queryAllByTestId("tile-locked")).toEqual([]);
    expect(screen.getByTestId("lesson-lock"), "no commands after the end").toBeDisabled();
  });
});

describe("refusals", () => {
  it("shows the shell's refusal of a web page next to the field, in German", async () => {
    const { call } = await openConsole();
    await openClass();
    await startLesson();
    const fallback = call.getMockImplementation()!;
    call.mockImplementation(async (name, request) => {
      if (name !== "lesson_command") return fallback(name, request);
      throw appError({ code: "invalid_input", key: "bad_url", field: "url", message: "Only …" });
    });

    await userEvent.type(screen.getByTestId("web-page-url"), "https://intranet{Enter}");

    expect(await screen.findByTestId("web-page-error")).toHaveTextContent(
      "Nur Adressen mit http:// oder https:// lassen sich öffnen",
    );
  });

  it("says why a class cannot be taught and offers no start", async () => {
    const world = lessonWorld();
    const view = world.views.get("class-9a")!;
    const whyNot = "Diese Klasse unterrichten Sie nicht.";
    world.views.set("class-9a", { ...view, canTeach: false, whyNot });
    await openConsole(world);

    await openClass("9a Mathe");

    expect(screen.getByTestId("lesson-cannot")).toHaveTextContent(whyNot);
    expect(screen.queryByTestId("lesson-start")).toBeNull();
  });
});

describe("commands during a lesson", () => {
  it("counts the lock message's length as it is typed, and refuses more than 200", async () => {
    await openConsole();
    await openClass();
    await startLesson();

    await userEvent.type(screen.getByTestId("lock-message"), "Augen nach vorn");
    expect(screen.getByTestId("lock-message-count")).toHaveTextContent("15 / 200");
    await userEvent.type(screen.getByTestId("lock-message"), "x".repeat(190));

    expect(screen.getByTestId("lock-message-count")).toHaveTextContent("205 / 200");
    expect(screen.getByTestId("lock-message-count")).toHaveClass("over");
    expect(screen.getByTestId("lock-message-error")).toHaveTextContent("höchstens 200 Zeichen");
    expect(screen.getByTestId("lesson-lock")).toBeDisabled();
  });

  it("locks the class and shows the acknowledgements as the devices report them", async () => {
    const { call, world, emitLesson } = await openConsole();
    await openClass();
    await startLesson();

    await userEvent.type(screen.getByTestId("lock-message"), "Augen nach vorn");
    await userEvent.click(screen.getByTestId("lesson-lock"));

    expect(sent(call, "lesson_command").at(-1)).toEqual({
      classUuid: "class-7b",
      command: { kind: "lockScreen", message: "Augen nach vorn" },
      deviceUuids: null,
    });
    await waitFor(() => expect(tileOf("dev-1")).toHaveAttribute("data-ack", "pending"));
    expect(tileOf("dev-1")).toHaveTextContent("Ausstehend");
    expect(tileOf("dev-5")).toHaveAttribute("data-ack", "offline");
    expect(screen.getByTestId("lesson-result")).toHaveTextContent("Sperre an 8 Geräte gegeben");

    checkIn(world, "class-7b", ["dev-2"]);
    emitLesson("class-7b");

    await waitFor(() => expect(tileOf("dev-1")).toHaveAttribute("data-ack", "acknowledged"));
    expect(tileOf("dev-1")).toHaveTextContent("Bestätigt");
    expect(tileOf("dev-1")).toHaveTextContent("Gesperrt");
    expect(tileOf("dev-2")).toHaveTextContent("Gerade nicht – wird wiederholt");
    expect(tileOf("dev-5"), "an offline device keeps waiting").toHaveTextContent("Offline");
    expect(screen.getByTestId("lesson-acks")).toHaveTextContent("6 von 8 Geräten bestätigt");
  });

  it("locks into one app the supervised devices only, naming the others as skipped", async () => {
    const { call } = await openConsole();
    await openClass();
    await startLesson();

    await userEvent.selectOptions(screen.getByTestId("app-lock-select"), "de.westermann.mathe");
    expect(screen.getByTestId("app-lock-unsupervised")).toHaveTextContent(
      "2 Geräte werden übersprungen, weil sie nicht betreut sind",
    );
    expect(screen.getByTestId("app-lock-unsupervised")).toHaveTextContent("Schüler 3, Schüler 6");
    await userEvent.click(screen.getByTestId("lesson-app-lock"));

    expect(sent(call, "lesson_command").at(-1)?.command).toEqual({
      kind: "appLock",
      bundleId: "de.westermann.mathe",
    });
    const skipped = await screen.findByTestId("lesson-result-skipped");
    expect(skipped).toHaveTextContent("2 Geräte übersprungen");
    expect(within(skipped).getAllByTestId("skipped-device")[0]).toHaveTextContent(
      "NORD-iPad-03: nicht betreut – Apple erlaubt die App-Sperre nur auf betreuten Geräten",
    );
    expect(screen.getByTestId("lesson-result")).toHaveTextContent("App-Sperre an 6 Geräte");
    expect(tileOf("dev-1")).toHaveTextContent("In App: Mathe 7");
    expect(tileOf("dev-3")).not.toHaveTextContent("In App");
  });

  it("opens only http and https pages, with the error next to the field", async () => {
    const { call } = await openConsole();
    await openClass();
    await startLesson();

    await userEvent.type(screen.getByTestId("web-page-url"), "ftp://example.org{Enter}");

    const error = screen.getByTestId("web-page-error");
    expect(error).toHaveTextContent("Nur Adressen mit http:// oder https://");
    expect(error.id).toBe(screen.getByTestId("web-page-url").getAttribute("aria-describedby"));
    expect(sent(call, "lesson_command")).toEqual([]);
    await userEvent.clear(screen.getByTestId("web-page-url"));
    await userEvent.type(screen.getByTestId("web-page-url"), "https://de.wikipedia.org{Enter}");

    expect(screen.queryByTestId("web-page-error")).toBeNull();
    expect(sent(call, "lesson_command").at(-1)?.command).toEqual({
      kind: "openWebPage",
      url: "https://de.wikipedia.org",
    });
  });

  it("allows only the chosen apps, and lifts that again", async () => {
    const { call } = await openConsole();
    await openClass();
    await startLesson();

    const apps = screen.getAllByTestId("allowed-app");
    await userEvent.click(apps[0]);
    await userEvent.click(apps[2]);
    await userEvent.click(screen.getByTestId("lesson-allow-apps"));
    await waitFor(() => expect(tileOf("dev-1")).toHaveTextContent("2 Apps erlaubt"));
    await userEvent.click(screen.getByTestId("lesson-allow-all"));

    expect(sent(call, "lesson_command").map((r) => r.command)).toEqual([
      { kind: "allowApps", bundleIds: ["com.apple.Pages", "com.apple.Keynote"] },
      { kind: "allowAllApps" },
    ]);
    await waitFor(() => expect(tileOf("dev-1")).not.toHaveTextContent("Apps erlaubt"));
  });

  it("leaves absent students out of every command, greyed, and says so", async () => {
    const { call } = await openConsole();
    await openClass();
    await startLesson();

    await userEvent.click(within(tileOf("dev-4")).getByTestId("tile-absent"));
    await waitFor(() => expect(tileOf("dev-4")).toHaveAttribute("data-absent", "true"));
    expect(tileOf("dev-4")).toHaveTextContent("Abwesend – bekommt keine Befehle");
    expect(screen.getByTestId("lesson-target")).toHaveTextContent(
      "Ganze Klasse: 7 Geräte (1 abwesend, ausgelassen)",
    );
    await userEvent.click(screen.getByTestId("tiles-select-all"));
    expect(screen.getByTestId("lesson-target")).toHaveTextContent("Ausgewählt: 7 Geräte");
    await userEvent.click(screen.getByTestId("lesson-lock"));

    expect(sent(call, "set_absent")).toEqual([
      { classUuid: "class-7b", studentLogin: "schueler4", deviceUuid: null, absent: true },
    ]);
    const deviceUuids = sent(call, "lesson_command").at(-1)?.deviceUuids as string[];
    expect(deviceUuids).toHaveLength(7);
    expect(deviceUuids, "the absent student's iPad is left out").not.toContain("dev-4");
    expect(tileOf("dev-4")).toHaveAttribute("data-locked", "false");
    expect(screen.getByTestId("lesson-result")).toHaveTextContent("Sperre an 7 Geräte gegeben");
  });

  it("says a request waits while the server cannot be reached, and that the lesson ends there anyway", async () => {
    await openConsole(lessonWorld({ serverReachable: false }));
    await openClass();

    await userEvent.click(await screen.findByTestId("lesson-start"));

    const queued = await screen.findByTestId("lesson-queued");
    expect(queued).toHaveTextContent("Server ist gerade nicht erreichbar");
    expect(queued).toHaveTextContent(/endet der Unterricht dort zur Endzeit \d\d:\d\d/);
    await userEvent.click(screen.getByTestId("lesson-lock"));
    const result = await screen.findByTestId("lesson-result-queued");
    expect(result).toHaveTextContent("wartet auf diesem Rechner");
    expect(result).toHaveTextContent(/endet auf dem Server zur Endzeit \d\d:\d\d/);
    expect(tileOf("dev-1")).toHaveTextContent("Wartet auf den Server");
  });
});

describe("the keyboard and the projector", () => {
  it("selects tiles with Space and Shift, and locks, unlocks and ends with L, U and E", async () => {
    const { call } = await openConsole();
    await openClass();
    await startLesson();
    expect(screen.getByTestId("lesson-lock")).toHaveTextContent("L");
    expect(screen.getByText(/L sperren · U entsperren · \+ verlängern · E beenden/)).toBeVisible();

    const faces = screen.getAllByTestId("tile-button");
    faces[0].focus();
    await userEvent.keyboard(" ");
    await userEvent.keyboard("{ArrowRight}{ArrowRight}");
    expect(faces[2]).toHaveFocus();
    await userEvent.keyboard("{Shift>} {/Shift}");
    expect(faces.slice(0, 3).map((face) => face.getAttribute("aria-pressed"))).toEqual([
      "true",
      "true",
      "true",
    ]);
    await userEvent.keyboard("l");
    await userEvent.keyboard("u");

    expect(sent(call, "lesson_command").map((r) => [r.command, r.deviceUuids])).toEqual([
      [{ kind: "lockScreen", message: "" }, ["dev-1", "dev-2", "dev-3"]],
      [{ kind: "unlockScreen" }, ["dev-1", "dev-2", "dev-3"]],
    ]);
    await userEvent.keyboard("e");
    expect(screen.getByRole("alertdialog")).toHaveTextContent("Unterricht in 7b jetzt beenden?");
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("alertdialog")).toBeNull();
  });

  it("marks a student absent with A, selects all with Ctrl+A and clears with Escape", async () => {
    await openConsole();
    await openClass();
    const faces = screen.getAllByTestId("tile-button");

    faces[1].focus();
    await userEvent.keyboard("a");
    await waitFor(() => expect(tileOf("dev-2")).toHaveAttribute("data-absent", "true"));
    screen.getAllByTestId("tile-button")[0].focus();
    await userEvent.keyboard("{Control>}a{/Control}");

    const pressed = screen.getAllByTestId("tile-button").filter((face) => {
      return face.getAttribute("aria-pressed") === "true";
    });
    expect(pressed, "every present student, not the absent one").toHaveLength(7);
    await userEvent.keyboard("{Escape}");
    expect(screen.getByTestId("lesson-target")).toHaveTextContent("Ganze Klasse");
  });

  it("does not take shortcuts typed into a field", async () => {
    const { call } = await openConsole();
    await openClass();
    await startLesson();

    await userEvent.type(screen.getByTestId("lock-message"), "Lesen und Üben");

    expect(sent(call, "lesson_command")).toEqual([]);
    expect(screen.queryByRole("alertdialog")).toBeNull();
  });

  it("switches to the projector display with P: large type, high contrast, tiles only", async () => {
    await openConsole();
    await openClass();

    await userEvent.keyboard("p");

    const console = screen.getByTestId("teacher-console");
    expect(console).toHaveAttribute("data-projector", "true");
    expect(console).toHaveClass("projector");
    expect(screen.getByTestId("projector-toggle")).toHaveAttribute("aria-pressed", "true");
    expect(screen.queryByTestId("class-list"), "the class list gives way to the tiles").toBeNull();
    expect(tiles()).toHaveLength(8);
    await userEvent.click(screen.getByTestId("projector-toggle"));
    expect(screen.getByTestId("class-list")).toBeInTheDocument();
  });

  it("speaks English too", async () => {
    const state = teacherState(TEACHER);
    state.settings.language = "en";
    await openConsole(lessonWorld(), state);
    await openClass();

    expect(screen.getByTestId("tab-lessons")).toHaveTextContent("Lessons");
    expect(screen.getByTestId("lesson-start")).toHaveTextContent("Start lesson");
    expect(tileOf("dev-1")).toHaveTextContent("Battery 80%");
  });
});

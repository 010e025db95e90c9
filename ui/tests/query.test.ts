import { describe, expect, it } from "vitest";

import { chosenColumns, DEFAULT_COLUMNS } from "../src/lib/columns";
import { osVersionChoices } from "../src/lib/os-versions";
import {
  emptyQuery,
  hasFilters,
  queryForBucket,
  restoreQuery,
  scopedQuery,
  sortBy,
} from "../src/lib/query";

const noBucket = {
  organisation: null,
  osVersion: null,
  compliance: null,
  notSeenForDays: null,
  seenWithinDays: null,
  batteryBelowPercent: null,
  batteryAtLeastPercent: null,
};

describe("the inventory query", () => {
  it("sorts ascending by a new column and reverses on the same one", () => {
    const byModel = sortBy(emptyQuery(), "model");

    const reversed = sortBy(byModel, "model");
    const bySerial = sortBy(reversed, "serial");

    expect(byModel).toMatchObject({ sort: "model", descending: false });
    expect(reversed).toMatchObject({ sort: "model", descending: true });
    expect(bySerial).toMatchObject({ sort: "serial", descending: false });
  });

  it("takes a bucket's filter in place of the other filters, keeping the sort order", () => {
    const query = { ...emptyQuery(), search: "5a", supervised: true, sort: "battery" as const };

    const next = queryForBucket(query, {
      ...noBucket,
      batteryAtLeastPercent: 20,
      batteryBelowPercent: 50,
    });

    expect(next).toMatchObject({
      search: null,
      supervised: null,
      batteryAtLeastPercent: 20,
      batteryBelowPercent: 50,
      sort: "battery",
    });
  });

  it("lets an organisation chosen in the filter win over the scope", () => {
    const scope = ["org-a", "org-b"];

    expect(scopedQuery(emptyQuery(), scope).organisations).toEqual(scope);
    expect(scopedQuery({ ...emptyQuery(), organisations: ["org-c"] }, scope).organisations).toEqual(
      ["org-c"],
    );
  });

  it("sends blank search text as no search", () => {
    expect(scopedQuery({ ...emptyQuery(), search: "   " }, []).search).toBeNull();
    expect(scopedQuery({ ...emptyQuery(), search: " DMPX " }, []).search).toBe("DMPX");
  });

  it("tells whether anything but the sort order narrows the list", () => {
    expect(hasFilters(sortBy(emptyQuery(), "serial"))).toBe(false);
    expect(hasFilters({ ...emptyQuery(), notSeenForDays: 30 })).toBe(true);
  });

  it("restores a damaged or older saved query with defaults", () => {
    const restored = restoreQuery({ sort: "colour" as never, limit: 5, offset: 400 });

    expect(restored).toMatchObject({ sort: "name", limit: null, offset: 0, organisations: [] });
  });
});

describe("columns and OS versions", () => {
  it("keeps the saved column order and drops names it does not know", () => {
    expect(chosenColumns(["battery", "colour", "name"]).map((c) => c.id)).toEqual([
      "battery",
      "name",
    ]);
    expect(
      chosenColumns([]).map((c) => c.id),
      "never a table without columns",
    ).toEqual([...DEFAULT_COLUMNS]);
  });

  it("offers majors, minors and exact versions, newest first", () => {
    expect(osVersionChoices(["16.7.10", "17.5.1", "17.5"], null)).toEqual([
      "17",
      "17.5",
      "17.5.1",
      "16",
      "16.7",
      "16.7.10",
    ]);
  });
});

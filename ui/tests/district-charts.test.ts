import { describe, expect, it } from "vitest";

import {
  MOST_BARS,
  nonCompliant,
  osBuckets,
  schoolBuckets,
  type School,
} from "../src/lib/district";

function school(index: number, changes: Partial<School> = {}): School {
  return {
    orgUuid: `org-${index}`,
    name: `Schule ${index}`,
    devices: 100 + index,
    compliant: 90,
    osVersions: [
      { version: "17.5", devices: 60 },
      { version: "16.7", devices: 40 + index },
    ],
    notSeen30Days: index,
    ...changes,
  };
}

describe("the district's charts", () => {
  it("gives each school a bar that filters the inventory to that school", () => {
    const bars = schoolBuckets([school(1), school(2)], (s) => s.notSeen30Days, {
      notSeenForDays: 30,
    });

    expect(
      bars.map((bar) => bar.label),
      "largest first",
    ).toEqual(["Schule 2", "Schule 1"]);
    expect(bars[0].filter).toMatchObject({ organisation: "org-2", notSeenForDays: 30 });
  });

  it("leaves out schools counting none and shows at most the largest few", () => {
    const schools = Array.from({ length: MOST_BARS + 5 }, (_, i) => school(i));

    const bars = schoolBuckets(schools, (s) => s.notSeen30Days);

    expect(bars).toHaveLength(MOST_BARS);
    expect(
      bars.some((bar) => bar.label === "Schule 0"),
      "a school with none",
    ).toBe(false);
  });

  it("counts every device that is not compliant", () => {
    expect(nonCompliant(school(5))).toBe(15);
  });

  it("adds up the OS versions of all schools, newest first, filtering by version only", () => {
    const bars = osBuckets([school(1), school(2)]);

    expect(bars.map((bar) => [bar.label, bar.devices])).toEqual([
      ["17.5", 120],
      ["16.7", 83],
    ]);
    expect(bars[0].filter).toMatchObject({ organisation: null, osVersion: "17.5" });
  });
});

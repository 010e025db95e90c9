// The district view's charts as the overview draws them: one bar per school (or per OS
// version), each carrying the inventory filter that lists the devices it counts.
import type { Bucket } from "./bindings/Bucket";
import type { BucketFilter } from "./bindings/BucketFilter";

/** What the charts need of a school of the district view. */
export interface School {
  orgUuid: string;
  name: string;
  devices: number;
  compliant: number;
  osVersions: { version: string; devices: number }[];
  notSeen30Days: number;
}

/** Schools beyond this many bars make a chart unreadable; the table below lists them all. */
export const MOST_BARS = 15;

export function bucketFilter(changes: Partial<BucketFilter> = {}): BucketFilter {
  return {
    organisation: null,
    osVersion: null,
    compliance: null,
    notSeenForDays: null,
    seenWithinDays: null,
    batteryBelowPercent: null,
    batteryAtLeastPercent: null,
    ...changes,
  };
}

/**
 * One bar per school for `count`, the largest first and at most {@link MOST_BARS}; schools
 * counting none are left out. Each bar filters the inventory to its school and `filter`.
 */
export function schoolBuckets(
  schools: readonly School[],
  count: (school: School) => number,
  filter: Partial<BucketFilter> = {},
): Bucket[] {
  return schools
    .map((school) => ({
      label: school.name,
      devices: count(school),
      filter: bucketFilter({ ...filter, organisation: school.orgUuid }),
    }))
    .filter((bucket) => bucket.devices > 0)
    .sort((a, b) => b.devices - a.devices || a.label.localeCompare(b.label))
    .slice(0, MOST_BARS);
}

/**
 * The devices not compliant: every device that is not counted compliant.
 *
 * Known limit: the district counts by Koffer's own evaluation, while the inventory's compliance
 * filter (which a bar of these opens) matches the state the server reported at the device's
 * last check-in; the two can disagree for a while, so the list may differ from the bar.
 */
export function nonCompliant(school: School): number {
  return Math.max(0, school.devices - school.compliant);
}

/** OS versions over every school, newest first; a bar lists that version in all of them. */
export function osBuckets(schools: readonly School[]): Bucket[] {
  const counts = new Map<string, number>();
  for (const school of schools) {
    for (const os of school.osVersions) {
      counts.set(os.version, (counts.get(os.version) ?? 0) + os.devices);
    }
  }
  return [...counts]
    .sort(([a], [b]) => compareVersions(b, a))
    .slice(0, MOST_BARS)
    .map(([version, devices]) => ({
      label: version,
      devices,
      filter: bucketFilter({ osVersion: version }),
    }));
}

function compareVersions(a: string, b: string): number {
  const left = a.split(".").map(Number);
  const right = b.split(".").map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** "17.5 (120), 16.7 (30)": a school's versions, the most common first. */
export function commonVersions(school: School, most = 3): { version: string; devices: number }[] {
  return [...school.osVersions].sort((a, b) => b.devices - a.devices).slice(0, most);
}

// The inventory's query: what the user chose, how a chart's bucket narrows it, and what is sent.
import type { BucketFilter } from "./bindings/BucketFilter";
import type { Choice } from "./bindings/Choice";
import type { DeviceQuery } from "./bindings/DeviceQuery";
import type { SortKey } from "./bindings/SortKey";

export const SORT_KEYS: readonly SortKey[] = [
  "name",
  "serial",
  "model",
  "osVersion",
  "battery",
  "lastContact",
  "organisation",
  "user",
  "compliance",
];

export function emptyQuery(): DeviceQuery {
  return {
    search: null,
    organisations: [],
    group: null,
    osVersion: null,
    supervised: null,
    compliance: null,
    notSeenForDays: null,
    seenWithinDays: null,
    batteryBelowPercent: null,
    batteryAtLeastPercent: null,
    sort: "name",
    descending: false,
    limit: null,
    offset: 0,
  };
}

/** A query restored from the settings file, with anything missing or unknown at its default. */
export function restoreQuery(saved: Partial<DeviceQuery> | null | undefined): DeviceQuery {
  const query = { ...emptyQuery(), ...saved, limit: null, offset: 0 };
  if (!SORT_KEYS.includes(query.sort)) query.sort = "name";
  if (!Array.isArray(query.organisations)) query.organisations = [];
  return query;
}

/** Clicking the sorted column's header turns its direction; another column sorts ascending. */
export function sortBy(query: DeviceQuery, key: SortKey): DeviceQuery {
  const descending = query.sort === key ? !query.descending : false;
  return { ...query, sort: key, descending };
}

/** Every filter off; the sort order stays, since it is not a filter. */
export function withoutFilters(query: DeviceQuery): DeviceQuery {
  return { ...emptyQuery(), sort: query.sort, descending: query.descending };
}

/**
 * The inventory for a chart's bucket. The overview counts over the organisation scope only, so
 * the other filters are cleared: the table then lists exactly the devices the bar counted.
 */
export function queryForBucket(query: DeviceQuery, bucket: BucketFilter): DeviceQuery {
  const next = withoutFilters(query);
  if (bucket.organisation !== null) next.organisations = [bucket.organisation];
  next.osVersion = bucket.osVersion;
  next.compliance = bucket.compliance;
  next.notSeenForDays = bucket.notSeenForDays;
  next.seenWithinDays = bucket.seenWithinDays;
  next.batteryBelowPercent = bucket.batteryBelowPercent;
  next.batteryAtLeastPercent = bucket.batteryAtLeastPercent;
  return next;
}

/** The query sent to the shell: an organisation chosen in the filter wins over the scope. */
export function scopedQuery(query: DeviceQuery, scope: readonly string[]): DeviceQuery {
  const search = query.search?.trim() ? query.search.trim() : null;
  const organisations = query.organisations.length > 0 ? query.organisations : [...scope];
  return { ...query, search, organisations, limit: null, offset: 0 };
}

/**
 * The organisations of `refs` (uuids or names) that the cache knows. The settings are shared
 * by all profiles, so another server's organisations must not narrow this one's inventory to
 * nothing. Until the choices have arrived, every reference counts.
 */
export function knownOrganisations(refs: readonly string[], known: readonly Choice[] | null) {
  if (known === null) return [...refs];
  return refs.filter((ref) => known.some((org) => org.uuid === ref || org.name === ref));
}

/** Only the organisation scope: what the overview counts, and the "of N devices" figure. */
export function scopeOnly(scope: readonly string[]): DeviceQuery {
  return { ...emptyQuery(), organisations: [...scope] };
}

/** Whether any filter besides the organisation scope narrows the inventory. */
export function hasFilters(query: DeviceQuery): boolean {
  const plain = withoutFilters(query);
  return JSON.stringify({ ...query, limit: null, offset: 0 }) !== JSON.stringify(plain);
}

/** A stable text for a query, to tell whether two queries ask for the same devices. */
export function queryKey(query: DeviceQuery): string {
  return JSON.stringify({ ...query, limit: null, offset: 0 });
}

// The OS versions the filter offers: each major ("17"), each minor ("17.5") and each version
// the cache holds, newest first. A chart's bar filters by minor version, so minors must be there.

export function osVersionChoices(versions: readonly string[], current: string | null): string[] {
  const choices = new Set<string>();
  for (const version of versions) {
    const [major, minor] = version.split(".");
    choices.add(major);
    if (minor !== undefined) choices.add(`${major}.${minor}`);
    choices.add(version);
  }
  if (current) choices.add(current);
  return [...choices].sort(newestFirst);
}

/** Whether a choice stands for a whole major version. */
export function isMajor(version: string): boolean {
  return !version.includes(".");
}

/** Newest first, and a major or minor before the versions it covers ("17" before "17.5"). */
function newestFirst(a: string, b: string): number {
  const left = a.split(".").map(Number);
  const right = b.split(".").map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (right[i] ?? Infinity) - (left[i] ?? Infinity);
    if (difference !== 0) return difference;
  }
  return 0;
}

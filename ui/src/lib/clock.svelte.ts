// The time that relative texts ("vor 5 Min.") are measured from; it ticks so they stay true
// while the window stays open.
const TICK_MS = 30_000;

let now = $state(Date.now());
let timer: ReturnType<typeof setInterval> | undefined;

export const clock = {
  get now(): number {
    return now;
  },
};

/** Starts the ticking; the returned function stops it. */
export function startClock(): () => void {
  now = Date.now();
  timer ??= setInterval(() => (now = Date.now()), TICK_MS);
  return () => {
    clearInterval(timer);
    timer = undefined;
  };
}

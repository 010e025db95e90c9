// What the overview's charts draw, apart from the drawing: labels, counts, colours and which
// bucket a click on the canvas hit. Chart.js is registered here with only the parts used.
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  LinearScale,
  Tooltip,
  type ActiveElement,
  type ChartConfiguration,
} from "chart.js";

import type { Bucket } from "./bindings/Bucket";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, DoughnutController);
Chart.register(ArcElement, Tooltip);

export type ChartKind = "bar" | "doughnut";

/** Colours by meaning, as CSS custom properties, so the high-contrast theme can change them. */
const STATE_COLOURS: Record<string, string> = {
  COMPLIANT: "--chart-good",
  NON_COMPLIANT: "--chart-bad",
  UNKNOWN: "--chart-neutral",
  "seen.today": "--chart-good",
  "seen.week": "--chart-1",
  "seen.month": "--chart-warn",
  "seen.older": "--chart-bad",
  "battery.below20": "--chart-bad",
  "battery.below50": "--chart-warn",
  "battery.below80": "--chart-1",
  "battery.full": "--chart-good",
};
const SERIES_COLOURS = ["--chart-1", "--chart-2", "--chart-3", "--chart-4", "--chart-5"];

export function colourVariable(bucket: Bucket, index: number, kind: ChartKind): string {
  const byMeaning = STATE_COLOURS[bucket.label];
  if (byMeaning) return byMeaning;
  return kind === "bar" ? "--chart-1" : SERIES_COLOURS[index % SERIES_COLOURS.length];
}

/** The bucket a click hit, if it hit one. */
export function bucketAt(
  buckets: readonly Bucket[],
  hits: readonly ActiveElement[],
): Bucket | null {
  const index = hits[0]?.index;
  return index === undefined ? null : (buckets[index] ?? null);
}

/** "OS-Versionen: 17.5 1.200 Geräte, 16.7 300 Geräte": the chart for screen readers. */
export function describe(title: string, items: readonly { label: string; count: string }[]) {
  return `${title}: ${items.map((item) => `${item.label} ${item.count}`).join(", ")}`;
}

export interface ChartInput {
  kind: ChartKind;
  labels: string[];
  counts: number[];
  colours: string[];
  border: string;
  text: string;
  /** Pixels; the high-contrast display is larger. */
  fontSize: number;
  /** Numbers on the axes are written the way the window's language writes them. */
  locale: string;
  onSelect: (hits: ActiveElement[]) => void;
}

export function chartConfig(input: ChartInput): ChartConfiguration<ChartKind, number[], string> {
  const bar = input.kind === "bar";
  return {
    type: input.kind,
    data: {
      labels: input.labels,
      datasets: [
        {
          data: input.counts,
          backgroundColor: input.colours,
          borderColor: input.border,
          borderWidth: bar ? 0 : 2,
        },
      ],
    },
    options: {
      animation: false,
      locale: input.locale,
      font: { size: input.fontSize },
      responsive: true,
      maintainAspectRatio: false,
      color: input.text,
      onClick: (_event, hits) => input.onSelect(hits),
      onHover: (event, hits) => {
        const target = event.native?.target;
        if (target instanceof HTMLElement) target.style.cursor = hits.length ? "pointer" : "";
      },
      plugins: { tooltip: { enabled: true } },
      scales: bar
        ? {
            x: {
              ticks: { color: input.text, font: { size: input.fontSize } },
              grid: { display: false },
            },
            y: {
              beginAtZero: true,
              ticks: { color: input.text, precision: 0, font: { size: input.fontSize } },
            },
          }
        : {},
    },
  };
}

export { Chart };

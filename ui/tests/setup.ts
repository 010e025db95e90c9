// jsdom has no layout: the inventory's scroll box gets a size here, so the virtualized table
// renders the rows of one screen, as it does in the window.
import "@testing-library/jest-dom/vitest";
import { configure } from "@testing-library/svelte";
import { afterEach } from "vitest";

export const GRID_HEIGHT = 720;

// Two cores run the test files in parallel; waiting for an answer may take longer than 1 s.
configure({ asyncUtilTimeout: 4000 });

function layoutSize(extent: number) {
  return {
    configurable: true,
    get(this: HTMLElement) {
      return this.getAttribute("role") === "grid" ? extent : 0;
    },
  };
}

Object.defineProperty(HTMLElement.prototype, "offsetHeight", layoutSize(GRID_HEIGHT));
Object.defineProperty(HTMLElement.prototype, "offsetWidth", layoutSize(1200));
Object.defineProperty(HTMLElement.prototype, "clientHeight", layoutSize(GRID_HEIGHT));

Element.prototype.scrollTo = function (this: Element, options?: ScrollToOptions | number) {
  if (typeof options === "object" && options.top !== undefined) this.scrollTop = options.top;
};

// jsdom has no canvas and would log an error for every chart; the charts fall back to their tables.
HTMLCanvasElement.prototype.getContext = (() =>
  null) as typeof HTMLCanvasElement.prototype.getContext;

afterEach(() => {
  document.documentElement.className = "";
});

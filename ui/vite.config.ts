/// <reference types="vitest/config" />
// Build and test configuration of the web UI. The Tauri shell loads the built files from
// dist/ under a strict Content-Security-Policy, so component CSS goes to a file (never injected
// at run time) and asset paths are relative.
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  clearScreen: false,
  // svelteTesting only acts under Vitest: Svelte's browser build, and cleanup after each test.
  plugins: [svelte({ emitCss: true }), svelteTesting()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
  },
  server: {
    port: 1420,
    strictPort: true,
  },
  test: {
    environment: "jsdom",
    include: ["tests/**/*.test.ts"],
    setupFiles: ["tests/setup.ts"],
    clearMocks: true,
  },
});

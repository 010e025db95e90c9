// Svelte compiler options shared by Vite and svelte-check.
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

export default {
  preprocess: vitePreprocess(),
  compilerOptions: {
    runes: true,
    // Styles go to the CSS file: the CSP has no 'unsafe-inline' for styles.
    css: "external",
  },
};

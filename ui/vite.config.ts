import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  clearScreen: false,
  resolve: {
    // The app updates itself through its own plugin's TypeScript API
    // (tauri-plugin-tufa/guest-js), which imports @tauri-apps/api from
    // this package's node_modules.
    alias: { "tauri-plugin-tufa-api": fileURLToPath(new URL("../tauri-plugin-tufa/guest-js/index.ts", import.meta.url)) },
    dedupe: ["@tauri-apps/api"],
  },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  test: { environment: "jsdom", globals: true, include: ["test/**/*.test.ts"] },
});

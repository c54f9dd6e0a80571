// Vite build of the advanced-hunting page: web/src → web/dist (served by `wirehunt serve`).
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 10000,
    sourcemap: false,
    modulePreload: { polyfill: false },
  },
  // The Kusto language service's Bridge.NET scripts detect CommonJS and then read `global`.
  define: { global: 'globalThis' },
  worker: { format: 'es' },
});

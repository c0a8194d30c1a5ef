import { defineConfig } from 'vite';

// The built client is embedded into the Go binary by internal/webui, so Vite
// writes straight into that package's dist folder. scripts/clean-dist.mjs
// empties it first while keeping the committed .gitkeep (go:embed needs a file).
const backend = process.env.PARLEY_DEV_BACKEND ?? 'http://127.0.0.1:8080';

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../internal/webui/dist',
    emptyOutDir: false,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      '/api': { target: backend, changeOrigin: false, ws: true },
    },
  },
});

import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

// The built client is embedded into the Go binary by internal/webui, so Vite
// writes straight into that package's dist folder. scripts/clean-dist.mjs
// empties it first while keeping the committed .gitkeep (go:embed needs a file).
const backend = process.env.PARLEY_DEV_BACKEND ?? 'http://127.0.0.1:8080';

/**
 * Builds src/sw/sw.ts into /sw.js (a fixed name at the root, so its scope is
 * the whole app) and prepends this build's BUILD constant: a version derived
 * from the hashed asset names, and the list of shell files to precache. Any
 * change to the client changes sw.js, which is how browsers notice a deploy.
 */
function serviceWorker(): Plugin {
  let ref = '';
  return {
    name: 'parley-service-worker',
    apply: 'build',
    buildStart() {
      ref = this.emitFile({ type: 'chunk', id: resolve(__dirname, 'src/sw/sw.ts'), fileName: 'sw.js' });
    },
    generateBundle(_options, bundle) {
      const name = this.getFileName(ref);
      const sw = bundle[name];
      if (!sw || sw.type !== 'chunk') throw new Error('service worker chunk missing');
      if (sw.imports.length > 0) throw new Error('sw.js must not share chunks with the app: ' + sw.imports.join(', '));
      // pdf.js and its worker (~1.7 MB) load only when someone views a PDF:
      // they are cached on first use (assets are cache-first), not precached.
      const assets = Object.keys(bundle).filter((f) => f.startsWith('assets/') && !/^assets\/pdf[.-]/.test(f)).map((f) => '/' + f);
      const pub = readdirSync(resolve(__dirname, 'public')).map((f) => '/' + f);
      const shell = [...assets, ...pub].sort();
      const version = createHash('sha256').update(shell.join('\n')).update(sw.code).digest('hex').slice(0, 16);
      sw.code = `const BUILD = ${JSON.stringify({ version, shell })};\n` + sw.code;
    },
  };
}

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  plugins: [serviceWorker()],
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

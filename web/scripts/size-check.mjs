// Fails the build when the first load (JS + CSS referenced by index.html,
// plus their static imports) is over budget, gzipped.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const BUDGET_KB = Number(process.env.PARLEY_JS_BUDGET_KB ?? 250);
const dist = new URL('../../internal/webui/dist/', import.meta.url).pathname;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const refs = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
const seen = new Set();
let js = 0;
let css = 0;
function visit(rel) {
  if (seen.has(rel)) return;
  seen.add(rel);
  const buf = readFileSync(join(dist, rel));
  const gz = gzipSync(buf, { level: 9 }).length;
  if (rel.endsWith('.css')) css += gz;
  else {
    js += gz;
    // Static imports of other chunks are part of the first load too.
    for (const m of buf.toString('utf8').matchAll(/from"\.\/([^"]+\.js)"/g)) visit('assets/' + m[1]);
  }
}
refs.forEach(visit);
const kb = (n) => (n / 1024).toFixed(1);
console.log(`first load: JS ${kb(js)} KB gzipped, CSS ${kb(css)} KB gzipped (budget ${BUDGET_KB} KB for JS)`);
if (js / 1024 > BUDGET_KB) {
  console.error(`JS over budget: ${kb(js)} KB > ${BUDGET_KB} KB`);
  process.exit(1);
}

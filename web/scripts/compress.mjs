// Writes name.gz beside each hashed asset so internal/webui can serve them
// compressed without compressing on every request.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const dir = new URL('../../internal/webui/dist/assets/', import.meta.url).pathname;
for (const name of readdirSync(dir)) {
  if (!/\.(m?js|css|svg|json)$/.test(name)) continue; // .mjs: the pdf.js worker
  const buf = readFileSync(join(dir, name));
  if (buf.length < 1024) continue;
  writeFileSync(join(dir, name + '.gz'), gzipSync(buf, { level: 9 }));
}

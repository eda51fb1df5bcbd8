// Prints the size of the built console, raw and gzip-compressed (what a browser downloads).
import { readdir, readFile, stat } from "node:fs/promises";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const rows = [];
for (const name of (await readdir(dist)).sort()) {
  if (!/\.(js|css|html|svg|json)$/.test(name) || name === "meta.json") continue;
  const path = join(dist, name);
  if (!(await stat(path)).isFile()) continue;
  const bytes = await readFile(path);
  rows.push([name, bytes.length, gzipSync(bytes, { level: 9 }).length]);
}
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log("console bundle (console/dist)      raw        gzip");
for (const [name, raw, gz] of rows) console.log(`  ${name.padEnd(28)} ${kib(raw).padStart(10)} ${kib(gz).padStart(11)}`);
const [raw, gz] = rows.reduce(([r, g], [, a, b]) => [r + a, g + b], [0, 0]);
console.log(`  ${"total".padEnd(28)} ${kib(raw).padStart(10)} ${kib(gz).padStart(11)}`);

// Builds the console into dist/: the React + Cloudscape sources of src/ bundled by esbuild into
// app.js and app.css, next to index.html, favicon.svg and config.json. Nothing is fetched at run
// time from anywhere but this origin (and the API). `node scripts/build.mjs --watch` rebuilds on change.
import { build, context } from "esbuild";
import { copyFile, mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist");
const watch = process.argv.includes("--watch");

const options = {
  absWorkingDir: root,
  entryPoints: { app: "src/main.jsx" },
  outdir: out,
  bundle: true,
  format: "esm",
  target: ["chrome109", "firefox115", "safari16", "edge109"],
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  legalComments: "linked",
  jsx: "automatic",
  loader: { ".js": "jsx", ".woff": "file", ".woff2": "file", ".svg": "file", ".png": "file" },
  define: { "process.env.NODE_ENV": JSON.stringify(watch ? "development" : "production") },
  metafile: true,
  logLevel: "warning",
};

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
for (const file of ["index.html", "favicon.svg", "config.json"]) await copyFile(join(root, file), join(out, file));

if (watch) {
  const ctx = await context(options);
  await ctx.watch();
  console.log("console: watching src/ (dist/ rebuilt on change)");
} else {
  const result = await build(options);
  await writeFile(join(out, "meta.json"), JSON.stringify(result.metafile));
  const files = Object.entries(result.metafile.outputs)
    .filter(([name]) => !name.endsWith(".map") && !name.endsWith(".txt"))
    .map(([name, { bytes }]) => `${name.replace(/^dist\//, "")} ${(bytes / 1024).toFixed(0)} KiB`);
  console.log(`console built in dist/: ${files.join(", ")}`);
}

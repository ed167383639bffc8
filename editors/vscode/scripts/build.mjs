// Bundles the extension with esbuild into out/extension.js.
//   node scripts/build.mjs               development build (with source map)
//   node scripts/build.mjs --production  minified, no source map (for the .vsix)
//   node scripts/build.mjs --tests       also compiles test/*.test.ts to out-test/ for `node --test`
import * as esbuild from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { copySchema } from "./copy-schema.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const production = process.argv.includes("--production");
const tests = process.argv.includes("--tests");

rmSync(join(root, "out"), { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: ["src/extension.ts"],
  outfile: "out/extension.js",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node18", // VS Code 1.82 runs extensions on Node 18
  external: ["vscode"],
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: "warning",
});
console.log(`built out/extension.js${production ? " (production)" : ""}`);

// The schema is optional for development builds (copy-schema warns); `npm run package` requires it.
copySchema({ required: false });

if (tests) {
  rmSync(join(root, "out-test"), { recursive: true, force: true });
  const entryPoints = readdirSync(join(root, "test"))
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => `test/${f}`);
  await esbuild.build({
    absWorkingDir: root,
    entryPoints,
    outdir: "out-test",
    bundle: true, // pulls in src/launch.ts; it must not import `vscode`
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
    sourcemap: "inline",
    logLevel: "warning",
  });
  console.log(`built ${entryPoints.length} test file(s) into out-test/`);
}

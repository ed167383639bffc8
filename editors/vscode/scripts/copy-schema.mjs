// Copies the plan's JSON Schema from the Python package into the extension
// (schemas/avo-plan.schema.json), where package.json's `yamlValidation` points.
//   node scripts/copy-schema.mjs             warn when the source schema is missing
//   node scripts/copy-schema.mjs --required  fail when it is missing (used by `npm run package`)
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const SOURCE = join(root, "..", "..", "avo_lsp", "schema", "avo-plan.schema.json");
export const TARGET = join(root, "schemas", "avo-plan.schema.json");

export function copySchema({ required }) {
  if (!existsSync(SOURCE)) {
    const msg = `the plan schema ${relative(process.cwd(), SOURCE)} does not exist (the Python package provides it)`;
    if (required) {
      console.error(`error: ${msg}; cannot package the extension without it.`);
      process.exit(1);
    }
    console.warn(`warning: ${msg}; yamlValidation will have no schema until it does.`);
    return false;
  }
  try {
    JSON.parse(readFileSync(SOURCE, "utf8"));
  } catch (err) {
    console.error(`error: ${SOURCE} is not valid JSON: ${err.message}`);
    process.exit(1);
  }
  mkdirSync(dirname(TARGET), { recursive: true });
  copyFileSync(SOURCE, TARGET);
  console.log(`copied ${relative(root, TARGET)}`);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  copySchema({ required: process.argv.includes("--required") });
}

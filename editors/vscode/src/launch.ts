/**
 * Launch logic of the Avo extension: which command starts the server, with which
 * arguments and environment, and which settings it receives.
 *
 * This module must not import `vscode`: it is unit-tested with `node --test`.
 * Everything that touches the machine (PATH lookups, file checks) goes through
 * a `LaunchContext`, so tests can describe any machine.
 */
import * as path from "node:path";

export const SETTINGS_SECTION = "avo";
export const SERVER_MODULE = "avo_lsp";
export const SERVER_EXECUTABLE = "avo-lsp";

export type Regenerate = "onSave" | "onChange" | "off";
export type Severity = "error" | "warning" | "information" | "hint" | "off";

export const REGENERATE_VALUES: readonly Regenerate[] = ["onSave", "onChange", "off"];
export const SEVERITY_VALUES: readonly Severity[] = ["error", "warning", "information", "hint", "off"];

export const DEFAULT_REGENERATE: Regenerate = "onSave";
export const DEFAULT_DEBOUNCE_MS = 100;
export const MAX_DEBOUNCE_MS = 10_000;

/** The server-facing settings, sent as `initializationOptions` (and in the `avo` section). */
export interface AvoSettings {
  /** null: the server finds avo.yaml / avo.yml at the workspace root. */
  planPath: string | null;
  regenerate: Regenerate;
  severity: Record<string, Severity>;
  debounceMs: number;
}

/** Everything launch decisions depend on, besides the settings. */
export interface LaunchContext {
  /** File-system path of the (first) workspace folder, if any. */
  workspaceFolder?: string;
  /** The extension host's environment (PATH, PATHEXT, ...). */
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
  homedir: string;
  /** True when `file` exists and can be executed. */
  isExecutable(file: string): boolean;
}

/** Raw values of the `avo.server.*` settings and the Python interpreter setting. */
export interface ServerSettings {
  command?: unknown;
  env?: unknown;
  pythonDefaultInterpreterPath?: unknown;
}

export type LaunchSource = "setting" | "path" | "python-setting" | "venv" | "python3";

export interface LaunchPlan {
  command: string;
  args: string[];
  /** The complete environment of the server process. */
  env: Record<string, string>;
  cwd?: string;
  /** Where the command came from, for the log. */
  source: LaunchSource;
}

export class LaunchError extends Error {}

function pathFor(platform: NodeJS.Platform): path.PlatformPath {
  return platform === "win32" ? path.win32 : path.posix;
}

/** Expands `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~`. */
export function expandVariables(value: string, ctx: LaunchContext): string {
  let out = value.replace(/\$\{(workspaceFolder|userHome|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (whole, name: string, envName?: string) => {
    if (envName !== undefined) {
      return ctx.env[envName] ?? "";
    }
    if (name === "userHome") {
      return ctx.homedir;
    }
    return ctx.workspaceFolder ?? whole;
  });
  if (out === "~" || out.startsWith("~/") || (ctx.platform === "win32" && out.startsWith("~\\"))) {
    out = ctx.homedir + out.slice(1);
  }
  return out;
}

/**
 * Splits a command line the way a POSIX shell splits words, without any expansion:
 * whitespace separates words, single quotes are literal, double quotes allow `\"` and `\\`,
 * a backslash outside quotes escapes the next character.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line.charAt(i);
    if (quote === "'") {
      if (ch === "'") {
        quote = undefined;
      } else {
        word += ch;
      }
    } else if (quote === '"') {
      if (ch === '"') {
        quote = undefined;
      } else if (ch === "\\" && (line[i + 1] === '"' || line[i + 1] === "\\")) {
        word += line.charAt(++i);
      } else {
        word += ch;
      }
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < line.length) {
      word += line.charAt(++i);
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) {
        words.push(word);
        word = "";
        inWord = false;
      }
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== undefined) {
    throw new LaunchError(`unterminated ${quote} quote in command line: ${line}`);
  }
  if (inWord) {
    words.push(word);
  }
  return words;
}

/** Finds an executable on PATH (with PATHEXT on Windows), like `which`. */
export function findOnPath(name: string, ctx: LaunchContext): string | undefined {
  const p = pathFor(ctx.platform);
  const pathVar = ctx.env["PATH"] ?? ctx.env["Path"] ?? "";
  const exts = ctx.platform === "win32" ? ["", ...(ctx.env["PATHEXT"] ?? ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean)] : [""];
  for (const dir of pathVar.split(p.delimiter)) {
    if (!dir) {
      continue;
    }
    for (const ext of exts) {
      const candidate = p.join(dir, name + ext.toLowerCase());
      if (ctx.isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

function isAvoExecutable(file: string, platform: NodeJS.Platform): boolean {
  const base = pathFor(platform).basename(file).toLowerCase();
  return base === SERVER_EXECUTABLE || base === `${SERVER_EXECUTABLE}.exe` || base === `${SERVER_EXECUTABLE}.cmd`;
}

/** The `argv` given by `avo.server.command`, or undefined when it is unset/empty. */
export function configuredCommand(command: unknown, ctx: LaunchContext): string[] | undefined {
  let argv: string[];
  if (command === undefined || command === null) {
    return undefined;
  } else if (typeof command === "string") {
    const trimmed = command.trim();
    if (trimmed === "") {
      return undefined;
    }
    // A path that contains spaces but names an existing executable is one word.
    argv = ctx.isExecutable(expandVariables(trimmed, ctx)) ? [trimmed] : splitCommandLine(trimmed);
  } else if (Array.isArray(command)) {
    if (command.length === 0) {
      return undefined;
    }
    if (!command.every((x): x is string => typeof x === "string")) {
      throw new LaunchError("avo.server.command must be a string or an array of strings");
    }
    argv = command;
  } else {
    throw new LaunchError("avo.server.command must be a string or an array of strings");
  }
  argv = argv.map((a) => expandVariables(a, ctx));
  if (argv.length === 0 || argv[0] === "") {
    throw new LaunchError("avo.server.command has an empty executable");
  }
  if (argv.length === 1 && isAvoExecutable(argv[0]!, ctx.platform)) {
    argv.push("serve");
  }
  return argv;
}

/** The Python interpreter to run `-m avo_lsp serve` with, when avo-lsp is not on PATH. */
export function pythonInterpreter(setting: unknown, ctx: LaunchContext): { python: string; source: LaunchSource } {
  const p = pathFor(ctx.platform);
  // "python" is the Python extension's default value: treat it as "not chosen".
  if (typeof setting === "string" && setting.trim() !== "" && setting.trim() !== "python") {
    let python = expandVariables(setting.trim(), ctx);
    if (ctx.workspaceFolder && !p.isAbsolute(python) && /[\\/]/.test(python)) {
      python = p.resolve(ctx.workspaceFolder, python);
    }
    return { python, source: "python-setting" };
  }
  if (ctx.workspaceFolder) {
    const rel = ctx.platform === "win32" ? ["Scripts", "python.exe"] : ["bin", "python"];
    for (const venv of [".venv", "venv"]) {
      const candidate = p.join(ctx.workspaceFolder, venv, ...rel);
      if (ctx.isExecutable(candidate)) {
        return { python: candidate, source: "venv" };
      }
    }
  }
  return { python: ctx.platform === "win32" ? "python" : "python3", source: "python3" };
}

function serverEnv(extra: unknown, ctx: LaunchContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.env)) {
    if (v !== undefined) {
      env[k] = v;
    }
  }
  if (extra !== undefined && extra !== null) {
    if (typeof extra !== "object" || Array.isArray(extra)) {
      throw new LaunchError("avo.server.env must be an object of strings");
    }
    for (const [k, v] of Object.entries(extra as Record<string, unknown>)) {
      if (v === null || v === undefined) {
        delete env[k];
      } else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") {
        env[k] = expandVariables(String(v), ctx);
      } else {
        throw new LaunchError(`avo.server.env.${k} must be a string`);
      }
    }
  }
  return env;
}

/** Decides how to start the server. Throws `LaunchError` for unusable settings. */
export function resolveLaunch(server: ServerSettings, ctx: LaunchContext): LaunchPlan {
  const env = serverEnv(server.env, ctx);
  const cwd = ctx.workspaceFolder;
  const argv = configuredCommand(server.command, ctx);
  if (argv) {
    return { command: argv[0]!, args: argv.slice(1), env, cwd, source: "setting" };
  }
  const onPath = findOnPath(SERVER_EXECUTABLE, { ...ctx, env });
  if (onPath) {
    return { command: onPath, args: ["serve"], env, cwd, source: "path" };
  }
  const { python, source } = pythonInterpreter(server.pythonDefaultInterpreterPath, ctx);
  return { command: python, args: ["-m", SERVER_MODULE, "serve"], env, cwd, source };
}

/**
 * The command line that runs `avo-lsp status` with the same executable as the
 * server (`python -m avo_lsp serve` gives `python -m avo_lsp status`), and with
 * `--plan` when the planPath setting names the plan.
 */
export function statusCommand(plan: Pick<LaunchPlan, "command" | "args">, planPath: string | null = null): { command: string; args: string[] } {
  const serve = plan.args.indexOf("serve");
  const args = serve >= 0 ? [...plan.args.slice(0, serve), "status"] : [...plan.args, "status"];
  if (planPath) {
    args.push("--plan", planPath);
  }
  return { command: plan.command, args };
}

/** Quotes a command line for display (and for a POSIX shell). */
export function formatCommandLine(command: string, args: readonly string[]): string {
  return [command, ...args].map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * Checks and completes the raw `avo` settings. Invalid values fall back to the
 * default and are reported in `problems` (for the log), never thrown.
 */
export function normalizeSettings(raw: unknown, ctx: LaunchContext): { settings: AvoSettings; problems: string[] } {
  const problems: string[] = [];
  const r = isRecord(raw) ? raw : {};

  let planPath: string | null = null;
  if (typeof r["planPath"] === "string") {
    planPath = r["planPath"].trim() === "" ? null : expandVariables(r["planPath"].trim(), ctx);
  } else if (r["planPath"] !== undefined && r["planPath"] !== null) {
    problems.push("avo.planPath must be a string; using the default");
  }

  let regenerate = DEFAULT_REGENERATE;
  if (REGENERATE_VALUES.includes(r["regenerate"] as Regenerate)) {
    regenerate = r["regenerate"] as Regenerate;
  } else if (r["regenerate"] !== undefined && r["regenerate"] !== null) {
    problems.push(`avo.regenerate must be one of ${REGENERATE_VALUES.join(", ")}; using ${DEFAULT_REGENERATE}`);
  }

  const severity: Record<string, Severity> = {};
  if (isRecord(r["severity"])) {
    for (const [code, value] of Object.entries(r["severity"])) {
      const v = typeof value === "string" ? value.toLowerCase() : value;
      if (SEVERITY_VALUES.includes(v as Severity)) {
        severity[code] = v as Severity;
      } else {
        problems.push(`avo.severity.${code} must be one of ${SEVERITY_VALUES.join(", ")}; ignored`);
      }
    }
  } else if (r["severity"] !== undefined && r["severity"] !== null) {
    problems.push("avo.severity must be an object; ignored");
  }

  let debounceMs = DEFAULT_DEBOUNCE_MS;
  const d = r["debounceMs"];
  if (typeof d === "number" && Number.isFinite(d) && d >= 0 && d <= MAX_DEBOUNCE_MS) {
    debounceMs = Math.round(d);
  } else if (d !== undefined && d !== null) {
    problems.push(`avo.debounceMs must be a number from 0 to ${MAX_DEBOUNCE_MS}; using ${DEFAULT_DEBOUNCE_MS}`);
  }

  return { settings: { planPath, regenerate, severity, debounceMs }, problems };
}

/**
 * The answer to a `workspace/configuration` item for the `avo` section: the raw
 * section (including keys the server does not use, such as `server`) with the
 * server-facing keys normalized exactly like `initializationOptions`.
 */
export function configurationAnswer(raw: unknown, ctx: LaunchContext): Record<string, unknown> {
  const base = isRecord(raw) ? raw : {};
  return { ...base, ...normalizeSettings(raw, ctx).settings };
}

/** A plain-object version of vscode's `DocumentFilter`. */
export interface DocumentFilterLike {
  scheme: string;
  language?: string;
  pattern?: string;
}

export const CODE_LANGUAGES = ["python", "typescript", "typescriptreact", "javascript", "javascriptreact"] as const;
export const PLAN_PATTERN = "**/avo.{yaml,yml}";

/** The documents the server is told about: code files and the plan (also a custom `planPath`). */
export function documentSelector(planPath: string | null, ctx: Pick<LaunchContext, "platform" | "workspaceFolder">): DocumentFilterLike[] {
  const selector: DocumentFilterLike[] = CODE_LANGUAGES.map((language) => ({ scheme: "file", language }));
  selector.push({ scheme: "file", pattern: PLAN_PATTERN });
  if (planPath) {
    const p = pathFor(ctx.platform);
    const absolute = p.isAbsolute(planPath) ? planPath : ctx.workspaceFolder ? p.join(ctx.workspaceFolder, planPath) : undefined;
    const pattern = absolute ?? `**/${planPath}`;
    // Glob patterns use forward slashes, also on Windows.
    selector.push({ scheme: "file", pattern: pattern.split(p.sep).join("/") });
  }
  return selector;
}

/**
 * Commands that the extension registers itself. The server may advertise the same
 * ids in `executeCommandProvider`; the language client must not register those
 * again (VS Code refuses a second registration of an id).
 */
export const CLIENT_OWNED_COMMANDS: readonly string[] = ["avo.generate", "avo.showStatus", "avo.restart", "avo.showOutput"];

export function commandsForClient(serverCommands: readonly string[] | undefined): string[] | undefined {
  return serverCommands?.filter((c) => !CLIENT_OWNED_COMMANDS.includes(c));
}

/**
 * Settings whose change needs a new server process (and a new language client):
 * the command line and its environment, the interpreter it may come from, and the
 * plan path, which the client's document selector is built from (without a restart a
 * plan at `tracking/plan.yaml` would never be sent to the server).
 */
export const RESTART_SETTINGS: readonly string[] = ["avo.server", "python.defaultInterpreterPath", "avo.planPath"];

/** The first of `RESTART_SETTINGS` that changed, or undefined when none did. */
export function needsRestart(affects: (section: string) => boolean): string | undefined {
  return RESTART_SETTINGS.find((section) => affects(section));
}

/** What "Avo: Generate code" tells the user. */
export interface GenerateReport {
  level: "information" | "warning";
  message: string;
}

/**
 * The message for the server's answer to `avo.generate`, `{written, unchanged, refused[,
 * errors]}` (lists of paths): the files, relative to `root` when they are inside it.
 * Undefined when the plan has errors: the server has said so itself.
 */
export function generateReport(result: unknown, root: string | undefined, platform: NodeJS.Platform = process.platform): GenerateReport | undefined {
  const r = isRecord(result) ? result : {};
  if (typeof r["errors"] === "number" && r["errors"] > 0) {
    return undefined;
  }
  const p = pathFor(platform);
  const show = (file: string): string => {
    const rel = root ? p.relative(root, file) : file;
    const inside = root !== undefined && rel !== "" && !rel.startsWith("..") && !p.isAbsolute(rel);
    return (inside ? rel : file).split(p.sep).join("/");
  };
  const list = (key: string): string[] => (Array.isArray(r[key]) ? (r[key] as unknown[]).map((f) => show(String(f))) : []);
  const written = list("written");
  const unchanged = list("unchanged");
  const refused = list("refused");
  const parts = [written.length ? `wrote ${written.join(", ")}` : "", unchanged.length ? `unchanged: ${unchanged.join(", ")}` : ""].filter(Boolean);
  if (refused.length) {
    parts.push(`refused to overwrite ${refused.join(", ")} (not a generated file: it lacks the generated header)`);
    return { level: "warning", message: `Avo: ${parts.join("; ")}.` };
  }
  return { level: "information", message: `Avo: ${parts.length ? parts.join("; ") : "nothing to generate (the plan has no sources)"}.` };
}

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CODE_LANGUAGES,
  DEFAULT_DEBOUNCE_MS,
  LaunchError,
  PLAN_PATTERN,
  commandsForClient,
  configurationAnswer,
  configuredCommand,
  documentSelector,
  expandVariables,
  findOnPath,
  formatCommandLine,
  generateReport,
  needsRestart,
  normalizeSettings,
  resolveLaunch,
  splitCommandLine,
  statusCommand,
  type LaunchContext,
} from "../src/launch";

/** A fake machine: `executables` are the files that exist and are executable. */
function machine(opts: { executables?: string[]; path?: string; workspaceFolder?: string; platform?: NodeJS.Platform; env?: Record<string, string> } = {}): LaunchContext {
  const executables = new Set(opts.executables ?? []);
  return {
    workspaceFolder: "workspaceFolder" in opts ? opts.workspaceFolder : "/ws",
    env: { PATH: opts.path ?? "/usr/local/bin:/usr/bin", HOME: "/home/u", ...opts.env },
    platform: opts.platform ?? "linux",
    homedir: "/home/u",
    isExecutable: (f) => executables.has(f),
  };
}

describe("resolveLaunch: default command", () => {
  it("uses avo-lsp from PATH when it is there", () => {
    const plan = resolveLaunch({}, machine({ executables: ["/usr/bin/avo-lsp", "/usr/bin/python3"] }));
    assert.equal(plan.command, "/usr/bin/avo-lsp");
    assert.deepEqual(plan.args, ["serve"]);
    assert.equal(plan.source, "path");
    assert.equal(plan.cwd, "/ws");
  });

  it("takes the first avo-lsp on PATH", () => {
    const plan = resolveLaunch({}, machine({ path: "/a:/b", executables: ["/b/avo-lsp", "/a/avo-lsp"] }));
    assert.equal(plan.command, "/a/avo-lsp");
  });

  it("falls back to python.defaultInterpreterPath -m avo_lsp serve", () => {
    const plan = resolveLaunch({ pythonDefaultInterpreterPath: "/opt/py/bin/python" }, machine());
    assert.equal(plan.command, "/opt/py/bin/python");
    assert.deepEqual(plan.args, ["-m", "avo_lsp", "serve"]);
    assert.equal(plan.source, "python-setting");
  });

  it("expands ${workspaceFolder} and resolves a relative interpreter path against the folder", () => {
    assert.equal(resolveLaunch({ pythonDefaultInterpreterPath: "${workspaceFolder}/env/bin/python" }, machine()).command, "/ws/env/bin/python");
    assert.equal(resolveLaunch({ pythonDefaultInterpreterPath: "env/bin/python" }, machine()).command, "/ws/env/bin/python");
  });

  it("treats the Python extension's default 'python' as unset and finds the workspace .venv", () => {
    const plan = resolveLaunch({ pythonDefaultInterpreterPath: "python" }, machine({ executables: ["/ws/.venv/bin/python"] }));
    assert.equal(plan.command, "/ws/.venv/bin/python");
    assert.equal(plan.source, "venv");
  });

  it("ends with python3 -m avo_lsp serve", () => {
    const plan = resolveLaunch({ pythonDefaultInterpreterPath: "" }, machine());
    assert.equal(plan.command, "python3");
    assert.deepEqual(plan.args, ["-m", "avo_lsp", "serve"]);
    assert.equal(plan.source, "python3");
  });

  it("prefers avo-lsp on PATH over the interpreter setting", () => {
    const plan = resolveLaunch({ pythonDefaultInterpreterPath: "/opt/py/bin/python" }, machine({ executables: ["/usr/bin/avo-lsp"] }));
    assert.equal(plan.source, "path");
  });

  it("has no cwd without a workspace folder", () => {
    const plan = resolveLaunch({}, machine({ workspaceFolder: undefined }));
    assert.equal(plan.cwd, undefined);
    assert.equal(plan.command, "python3");
  });

  it("looks up PATH with PATHEXT on Windows and uses Scripts\\python.exe venvs", () => {
    const win = machine({ platform: "win32", path: "C:\\bin;C:\\tools", workspaceFolder: "C:\\ws", env: { PATHEXT: ".EXE;.CMD" }, executables: ["C:\\tools\\avo-lsp.exe"] });
    assert.equal(findOnPath("avo-lsp", win), "C:\\tools\\avo-lsp.exe");
    const winVenv = machine({ platform: "win32", path: "C:\\bin", workspaceFolder: "C:\\ws", executables: ["C:\\ws\\.venv\\Scripts\\python.exe"] });
    assert.equal(resolveLaunch({}, winVenv).command, "C:\\ws\\.venv\\Scripts\\python.exe");
    assert.equal(resolveLaunch({}, machine({ platform: "win32", path: "", workspaceFolder: "C:\\ws" })).command, "python");
  });
});

describe("resolveLaunch: avo.server.command", () => {
  it("takes an array as the full argv", () => {
    const plan = resolveLaunch({ command: ["/repo/.venv/bin/python", "-m", "avo_lsp", "serve"] }, machine({ executables: ["/usr/bin/avo-lsp"] }));
    assert.equal(plan.command, "/repo/.venv/bin/python");
    assert.deepEqual(plan.args, ["-m", "avo_lsp", "serve"]);
    assert.equal(plan.source, "setting");
  });

  it("splits a string like a shell", () => {
    const plan = resolveLaunch({ command: "'/my tools/python' -m avo_lsp serve --log-level debug" }, machine());
    assert.equal(plan.command, "/my tools/python");
    assert.deepEqual(plan.args, ["-m", "avo_lsp", "serve", "--log-level", "debug"]);
  });

  it("keeps a string that names an existing executable with spaces as one word", () => {
    const plan = resolveLaunch({ command: "/my tools/avo-lsp" }, machine({ executables: ["/my tools/avo-lsp"] }));
    assert.equal(plan.command, "/my tools/avo-lsp");
    assert.deepEqual(plan.args, ["serve"]);
  });

  it("appends serve to a bare avo-lsp executable only", () => {
    assert.deepEqual(configuredCommand("avo-lsp", machine()), ["avo-lsp", "serve"]);
    assert.deepEqual(configuredCommand(["/x/avo-lsp"], machine()), ["/x/avo-lsp", "serve"]);
    assert.deepEqual(configuredCommand(["/x/avo-lsp", "serve", "--stdio"], machine()), ["/x/avo-lsp", "serve", "--stdio"]);
    assert.deepEqual(configuredCommand(["/x/python"], machine()), ["/x/python"]);
  });

  it("expands variables in every word", () => {
    const argv = configuredCommand(["${workspaceFolder}/.venv/bin/python", "-m", "avo_lsp", "serve", "--log=${env:LOGDIR}/avo.log"], machine({ env: { LOGDIR: "/tmp/l" } }));
    assert.deepEqual(argv, ["/ws/.venv/bin/python", "-m", "avo_lsp", "serve", "--log=/tmp/l/avo.log"]);
    assert.deepEqual(configuredCommand("~/bin/avo-lsp", machine()), ["/home/u/bin/avo-lsp", "serve"]);
  });

  it("treats empty values as unset", () => {
    for (const value of [undefined, null, "", "   ", []]) {
      assert.equal(configuredCommand(value, machine()), undefined, JSON.stringify(value));
    }
    assert.equal(resolveLaunch({ command: "" }, machine()).source, "python3");
  });

  it("rejects wrong types and broken quoting", () => {
    assert.throws(() => resolveLaunch({ command: 42 }, machine()), LaunchError);
    assert.throws(() => resolveLaunch({ command: ["python", 3] }, machine()), LaunchError);
    assert.throws(() => resolveLaunch({ command: ["", "serve"] }, machine()), LaunchError);
    assert.throws(() => resolveLaunch({ command: "python 'oops" }, machine()), /unterminated/);
  });
});

describe("resolveLaunch: environment", () => {
  it("passes the host environment and adds avo.server.env", () => {
    const plan = resolveLaunch({ env: { AVO_LOG: "debug", N: 3, HOME: null } }, machine({ env: { KEEP: "1" } }));
    assert.equal(plan.env["KEEP"], "1");
    assert.equal(plan.env["AVO_LOG"], "debug");
    assert.equal(plan.env["N"], "3");
    assert.equal("HOME" in plan.env, false);
  });

  it("finds avo-lsp on a PATH that avo.server.env sets", () => {
    const plan = resolveLaunch({ env: { PATH: "/custom" } }, machine({ executables: ["/custom/avo-lsp"] }));
    assert.equal(plan.command, "/custom/avo-lsp");
  });

  it("rejects a non-object env", () => {
    assert.throws(() => resolveLaunch({ env: ["A=1"] }, machine()), LaunchError);
    assert.throws(() => resolveLaunch({ env: { A: { b: 1 } } }, machine()), LaunchError);
  });
});

describe("splitCommandLine", () => {
  const cases: [string, string[]][] = [
    ["a b  c", ["a", "b", "c"]],
    ["  lead trail  ", ["lead", "trail"]],
    [`"a b" 'c d' e\\ f`, ["a b", "c d", "e f"]],
    [`"say \\"hi\\"" 'it''s'`, [`say "hi"`, "its"]],
    [`'' x`, ["", "x"]],
    [`C:\\\\py\\\\python.exe`, ["C:\\py\\python.exe"]],
  ];
  for (const [line, words] of cases) {
    it(JSON.stringify(line), () => assert.deepEqual(splitCommandLine(line), words));
  }
});

describe("expandVariables", () => {
  it("leaves ${workspaceFolder} alone without a folder, and unknown variables always", () => {
    assert.equal(expandVariables("${workspaceFolder}/x ${other}", machine({ workspaceFolder: undefined })), "${workspaceFolder}/x ${other}");
    assert.equal(expandVariables("${userHome}/a ${env:NOPE}|", machine()), "/home/u/a |");
    assert.equal(expandVariables("a~b", machine()), "a~b");
  });
});

describe("statusCommand", () => {
  it("runs status with the server's executable", () => {
    assert.deepEqual(statusCommand({ command: "/usr/bin/avo-lsp", args: ["serve"] }), { command: "/usr/bin/avo-lsp", args: ["status"] });
    assert.deepEqual(statusCommand({ command: "/p/python", args: ["-m", "avo_lsp", "serve", "--log-level", "debug"] }), {
      command: "/p/python",
      args: ["-m", "avo_lsp", "status"],
    });
    assert.deepEqual(statusCommand({ command: "my-wrapper", args: [] }), { command: "my-wrapper", args: ["status"] });
    assert.deepEqual(statusCommand({ command: "avo-lsp", args: ["serve"] }, "plans/avo.yaml"), { command: "avo-lsp", args: ["status", "--plan", "plans/avo.yaml"] });
  });

  it("formats a command line for the log", () => {
    assert.equal(formatCommandLine("/p/python", ["-m", "avo_lsp", "serve"]), "/p/python -m avo_lsp serve");
    assert.equal(formatCommandLine("/my tools/py", ["it's"]), `'/my tools/py' 'it'\\''s'`);
  });
});

describe("normalizeSettings (initializationOptions)", () => {
  it("fills defaults", () => {
    const { settings, problems } = normalizeSettings({}, machine());
    assert.deepEqual(settings, { planPath: null, regenerate: "onSave", severity: {}, debounceMs: DEFAULT_DEBOUNCE_MS });
    assert.deepEqual(problems, []);
    assert.deepEqual(normalizeSettings(undefined, machine()).settings, settings);
  });

  it("has exactly the four server-facing keys", () => {
    const { settings } = normalizeSettings({ planPath: "x.yaml", server: { command: "x" }, trace: { server: "off" } }, machine());
    assert.deepEqual(Object.keys(settings).sort(), ["debounceMs", "planPath", "regenerate", "severity"]);
  });

  it("keeps valid values", () => {
    const { settings, problems } = normalizeSettings(
      { planPath: "plans/avo.yaml", regenerate: "onChange", severity: { "invalid-value": "error", "unknown-argument": "off", x: "Hint" }, debounceMs: 120.4 },
      machine(),
    );
    assert.deepEqual(settings, {
      planPath: "plans/avo.yaml",
      regenerate: "onChange",
      severity: { "invalid-value": "error", "unknown-argument": "off", x: "hint" },
      debounceMs: 120,
    });
    assert.deepEqual(problems, []);
  });

  it("expands variables in planPath", () => {
    assert.equal(normalizeSettings({ planPath: "${workspaceFolder}/tracking/avo.yml" }, machine()).settings.planPath, "/ws/tracking/avo.yml");
    assert.equal(normalizeSettings({ planPath: "  " }, machine()).settings.planPath, null);
  });

  it("drops invalid values and says why", () => {
    const { settings, problems } = normalizeSettings({ planPath: 3, regenerate: "always", severity: { a: "fatal", b: "warning" }, debounceMs: -5 }, machine());
    assert.deepEqual(settings, { planPath: null, regenerate: "onSave", severity: { b: "warning" }, debounceMs: DEFAULT_DEBOUNCE_MS });
    assert.equal(problems.length, 4);
    assert.match(problems.join("\n"), /avo\.severity\.a/);
    assert.equal(normalizeSettings({ severity: ["error"] }, machine()).problems.length, 1);
    assert.equal(normalizeSettings({ debounceMs: "250" }, machine()).settings.debounceMs, DEFAULT_DEBOUNCE_MS);
    assert.equal(normalizeSettings({ debounceMs: 10_001 }, machine()).settings.debounceMs, DEFAULT_DEBOUNCE_MS);
    assert.equal(normalizeSettings({ debounceMs: 10_000 }, machine()).settings.debounceMs, 10_000);
  });

  it("answers workspace/configuration with the raw section plus normalized keys", () => {
    const answer = configurationAnswer({ server: { command: null }, regenerate: "bogus", debounceMs: 50 }, machine());
    assert.deepEqual(answer, { server: { command: null }, planPath: null, regenerate: "onSave", severity: {}, debounceMs: 50 });
  });
});

describe("documentSelector", () => {
  it("covers the code languages and the plan file", () => {
    const selector = documentSelector(null, machine());
    assert.deepEqual(
      selector.filter((f) => f.language).map((f) => f.language),
      [...CODE_LANGUAGES],
    );
    assert.ok(selector.some((f) => f.pattern === PLAN_PATTERN));
    assert.ok(selector.every((f) => f.scheme === "file"));
    assert.equal(PLAN_PATTERN, "**/avo.{yaml,yml}");
  });

  it("adds a custom planPath", () => {
    assert.equal(documentSelector("tracking/plan.yaml", machine()).at(-1)?.pattern, "/ws/tracking/plan.yaml");
    assert.equal(documentSelector("/abs/plan.yaml", machine()).at(-1)?.pattern, "/abs/plan.yaml");
    assert.equal(documentSelector("plan.yaml", machine({ workspaceFolder: undefined })).at(-1)?.pattern, "**/plan.yaml");
    assert.equal(documentSelector("t\\plan.yaml", machine({ platform: "win32", workspaceFolder: "C:\\ws" })).at(-1)?.pattern, "C:/ws/t/plan.yaml");
  });
});

describe("commands and restarts", () => {
  it("keeps the client from registering the extension's own commands", () => {
    assert.deepEqual(commandsForClient(["avo.generate", "avo.other", "avo.restart"]), ["avo.other"]);
    assert.equal(commandsForClient(undefined), undefined);
  });

  it("restarts for the server's command and environment, the interpreter and the plan path", () => {
    const changed = (sections: string[]) => needsRestart((s) => sections.includes(s));
    assert.equal(changed(["avo.server"]), "avo.server");
    assert.equal(changed(["python.defaultInterpreterPath"]), "python.defaultInterpreterPath");
    assert.equal(changed(["avo.planPath"]), "avo.planPath");
    assert.equal(changed(["avo.severity"]), undefined);
    assert.equal(changed(["avo.regenerate", "avo.debounceMs", "avo.trace.server"]), undefined);
    assert.equal(changed([]), undefined);
  });

  it("gives the restarted client a document selector with the new plan path", () => {
    // Before: the default plan names only; a plan at tracking/plan.yaml is not selected.
    const ctx = machine();
    const before = documentSelector(normalizeSettings({}, ctx).settings.planPath, ctx);
    assert.equal(before.some((f) => f.pattern === "/ws/tracking/plan.yaml"), false);
    // The user sets avo.planPath: that change restarts, and the new client is built from it.
    assert.ok(needsRestart((s) => s === "avo.planPath"));
    const after = documentSelector(normalizeSettings({ planPath: "tracking/plan.yaml" }, ctx).settings.planPath, ctx);
    assert.ok(after.some((f) => f.scheme === "file" && f.pattern === "/ws/tracking/plan.yaml"));
    assert.deepEqual(after.slice(0, before.length), before);
    // And back: the pattern goes away.
    assert.deepEqual(documentSelector(normalizeSettings({ planPath: "" }, ctx).settings.planPath, ctx), before);
  });
});

describe("generateReport (Avo: Generate code)", () => {
  const ws = "/ws";
  it("names the written and unchanged files, relative to the workspace", () => {
    const report = generateReport({ written: ["/ws/backend/analytics/avo.py"], unchanged: ["/ws/worker/avo.js", "/ws/web/src/Avo.ts"], refused: [] }, ws, "linux");
    assert.deepEqual(report, { level: "information", message: "Avo: wrote backend/analytics/avo.py; unchanged: worker/avo.js, web/src/Avo.ts." });
    assert.equal(generateReport({ written: [], unchanged: ["/ws/a.py"], refused: [] }, ws, "linux")?.message, "Avo: unchanged: a.py.");
  });

  it("warns about a file it refused to overwrite", () => {
    const report = generateReport({ written: [], unchanged: ["/ws/a.py"], refused: ["/ws/src/Avo.ts"] }, ws, "linux");
    assert.equal(report?.level, "warning");
    assert.equal(report?.message, "Avo: unchanged: a.py; refused to overwrite src/Avo.ts (not a generated file: it lacks the generated header).");
  });

  it("keeps paths outside the workspace absolute, and handles Windows paths", () => {
    assert.equal(generateReport({ written: ["/elsewhere/avo.py"] }, ws, "linux")?.message, "Avo: wrote /elsewhere/avo.py.");
    assert.equal(generateReport({ written: ["/ws/avo.py"] }, undefined, "linux")?.message, "Avo: wrote /ws/avo.py.");
    assert.equal(generateReport({ written: ["C:\\ws\\src\\Avo.ts"] }, "C:\\ws", "win32")?.message, "Avo: wrote src/Avo.ts.");
  });

  it("says nothing when the plan has errors (the server does), and when there is nothing", () => {
    assert.equal(generateReport({ written: [], unchanged: [], refused: [], errors: 2 }, ws, "linux"), undefined);
    assert.equal(generateReport({ written: [], unchanged: [], refused: [] }, ws, "linux")?.message, "Avo: nothing to generate (the plan has no sources).");
    assert.equal(generateReport(null, ws, "linux")?.level, "information");
  });
});

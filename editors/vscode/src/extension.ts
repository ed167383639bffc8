import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import {
  LaunchError,
  SETTINGS_SECTION,
  commandsForClient,
  configurationAnswer,
  documentSelector,
  formatCommandLine,
  generateReport,
  needsRestart,
  normalizeSettings,
  resolveLaunch,
  statusCommand,
  type LaunchContext,
  type LaunchPlan,
  type ServerSettings,
} from "./launch";

const CLIENT_ID = "avo";
const CLIENT_NAME = "Avo";

let output: vscode.OutputChannel;
let statusOutput: vscode.OutputChannel | undefined;
let statusItem: vscode.StatusBarItem;
let client: LanguageClient | undefined;
let currentPlan: LaunchPlan | undefined;
/** Serializes start/stop/restart, so that two restarts never overlap. */
let lifecycle: Promise<void> = Promise.resolve();

function log(message: string): void {
  output.appendLine(`[${new Date().toISOString()}] [client] ${message}`);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The workspace folder that holds the plan: the first folder with an avo.yaml/avo.yml (or planPath), else the first folder. */
function planFolder(): vscode.WorkspaceFolder | undefined {
  const folders = vscode.workspace.workspaceFolders ?? [];
  for (const folder of folders) {
    if (folder.uri.scheme !== "file") {
      continue;
    }
    const planPath = vscode.workspace.getConfiguration(SETTINGS_SECTION, folder.uri).get<string>("planPath") ?? "";
    const candidates = planPath ? [path.resolve(folder.uri.fsPath, planPath)] : ["avo.yaml", "avo.yml"].map((f) => path.join(folder.uri.fsPath, f));
    if (candidates.some((c) => fs.existsSync(c))) {
      return folder;
    }
  }
  return folders[0];
}

function launchContext(folder: vscode.WorkspaceFolder | undefined): LaunchContext {
  return {
    workspaceFolder: folder?.uri.scheme === "file" ? folder.uri.fsPath : undefined,
    env: process.env,
    platform: process.platform,
    homedir: os.homedir(),
    isExecutable,
  };
}

/** Raw `avo.server.*` and interpreter settings for the folder. */
function serverSettings(folder: vscode.WorkspaceFolder | undefined): ServerSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, folder?.uri);
  return {
    command: config.get("server.command"),
    env: config.get("server.env"),
    pythonDefaultInterpreterPath: vscode.workspace.getConfiguration("python", folder?.uri).get("defaultInterpreterPath"),
  };
}

/** The server-facing settings, checked (see launch.normalizeSettings). */
function readSettings(folder: vscode.WorkspaceFolder | undefined, ctx: LaunchContext): ReturnType<typeof normalizeSettings> {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, folder?.uri);
  return normalizeSettings(
    {
      planPath: config.get("planPath"),
      regenerate: config.get("regenerate"),
      severity: config.get("severity"),
      debounceMs: config.get("debounceMs"),
    },
    ctx,
  );
}

function setStatus(state: "starting" | "running" | "stopped" | "failed", detail?: string): void {
  const icon = { starting: "$(sync~spin)", running: "$(check)", stopped: "$(circle-slash)", failed: "$(error)" }[state];
  statusItem.text = `${icon} Avo`;
  // Screen readers (and the end-to-end test) read the state from the label.
  statusItem.accessibilityInformation = { label: `Avo language server: ${state}`, role: "button" };
  statusItem.tooltip = `Avo language server: ${state}${detail ? `\n${detail}` : ""}\nClick to show the log.`;
  statusItem.backgroundColor = state === "failed" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  statusItem.show();
}

async function startClient(): Promise<void> {
  const folder = planFolder();
  const ctx = launchContext(folder);
  let plan: LaunchPlan;
  try {
    plan = resolveLaunch(serverSettings(folder), ctx);
  } catch (err) {
    const message = err instanceof LaunchError ? err.message : String(err);
    log(`cannot start the server: ${message}`);
    setStatus("failed", message);
    void reportStartFailure(message);
    return;
  }
  currentPlan = plan;

  const { settings, problems } = readSettings(folder, ctx);
  for (const problem of problems) {
    log(`setting ignored: ${problem}`);
  }
  const commandLine = formatCommandLine(plan.command, plan.args);
  log(`starting server (${plan.source}): ${commandLine}${plan.cwd ? ` (cwd ${plan.cwd})` : ""}`);
  log(`initializationOptions: ${JSON.stringify(settings)}`);

  // No `transport`: with TransportKind.stdio the client would append `--stdio` to the
  // user's command line. Without it, the client still talks over stdio.
  const serverOptions: ServerOptions = {
    command: plan.command,
    args: plan.args,
    options: { cwd: plan.cwd, env: plan.env },
  };
  const clientOptions: LanguageClientOptions = {
    // Built for each client: a change of avo.planPath restarts with a new one.
    documentSelector: documentSelector(settings.planPath, ctx),
    outputChannel: output,
    traceOutputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions: settings,
    // Sends workspace/didChangeConfiguration with the `avo` section when it changes.
    synchronize: { configurationSection: SETTINGS_SECTION },
    middleware: {
      workspace: {
        // The default handler answers workspace/configuration; normalize the `avo`
        // section the same way as initializationOptions.
        configuration: async (params, token, next) => {
          const result = await next(params, token);
          if (!Array.isArray(result)) {
            return result;
          }
          return result.map((value: unknown, i) => (params.items[i]?.section === SETTINGS_SECTION ? configurationAnswer(value, ctx) : value));
        },
      },
    },
  };

  const newClient = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  // The extension registers avo.generate & co. itself; keep the client from
  // registering a second VS Code command with the same id when the server
  // advertises it in executeCommandProvider.
  const executeCommand = newClient.getFeature(ExecuteCommandRequest.method);
  const register = executeCommand.register.bind(executeCommand);
  executeCommand.register = (data) =>
    register({ ...data, registerOptions: { ...data.registerOptions, commands: commandsForClient(data.registerOptions.commands) ?? [] } });

  newClient.onDidChangeState((e) => {
    if (client !== newClient) {
      return;
    }
    if (e.newState === State.Starting) {
      setStatus("starting", commandLine);
    } else if (e.newState === State.Running) {
      setStatus("running", commandLine);
    } else {
      setStatus("failed", `the server stopped; see the log. ${commandLine}`);
    }
  });
  client = newClient;
  setStatus("starting", commandLine);
  try {
    await newClient.start();
    const info = newClient.initializeResult?.serverInfo;
    log(`server running${info ? `: ${info.name}${info.version ? ` ${info.version}` : ""}` : ""}`);
    setStatus("running", commandLine);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log(`server failed to start: ${message}`);
    setStatus("failed", message);
    void reportStartFailure(`${message} (command: ${commandLine})`);
  }
}

async function reportStartFailure(message: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(`Avo: the language server could not start: ${message}`, "Show Log", "Open Settings");
  if (choice === "Show Log") {
    output.show(true);
  } else if (choice === "Open Settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", "avo.server");
  }
}

async function stopClient(): Promise<void> {
  const old = client;
  client = undefined;
  if (!old) {
    return;
  }
  try {
    if (old.state !== State.Stopped) {
      await old.stop(3000);
    }
  } catch (err) {
    log(`stopping the server: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    await old.dispose(1000);
  } catch {
    // already stopped
  }
}

function queue(step: () => Promise<void>): Promise<void> {
  lifecycle = lifecycle.then(step, step);
  return lifecycle;
}

/** True from a restart's request until it begins: more requests meanwhile join it. */
let restartQueued = false;

function restart(): Promise<void> {
  if (restartQueued) {
    return lifecycle;
  }
  restartQueued = true;
  return queue(async () => {
    restartQueued = false;
    log("restarting the server");
    await stopClient();
    setStatus("stopped");
    await startClient();
  });
}

/** Tells the user what avo.generate did (see launch.generateReport). */
function reportGenerateResult(result: unknown): void {
  const report = generateReport(result, currentPlan?.cwd);
  if (report?.level === "warning") {
    void vscode.window.showWarningMessage(report.message);
  } else if (report) {
    void vscode.window.showInformationMessage(report.message);
  }
}

async function generate(): Promise<void> {
  const c = client;
  if (!c || !c.isRunning()) {
    const choice = await vscode.window.showErrorMessage("Avo: the language server is not running.", "Restart Server", "Show Log");
    if (choice === "Restart Server") {
      await restart();
    } else if (choice === "Show Log") {
      output.show(true);
    }
    return;
  }
  try {
    const result: unknown = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: "Avo: generating code" },
      () => c.sendRequest(ExecuteCommandRequest.type, { command: "avo.generate", arguments: [] }),
    );
    log(`avo.generate -> ${JSON.stringify(result)}`);
    reportGenerateResult(result);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log(`avo.generate failed: ${message}`);
    void vscode.window.showErrorMessage(`Avo: code generation failed: ${message}`);
  }
}

function showStatus(): void {
  const folder = planFolder();
  const ctx = launchContext(folder);
  let plan = currentPlan;
  if (!plan) {
    try {
      plan = resolveLaunch(serverSettings(folder), ctx);
    } catch (err) {
      void vscode.window.showErrorMessage(`Avo: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
  }
  const { command, args } = statusCommand(plan, readSettings(folder, ctx).settings.planPath);
  statusOutput ??= vscode.window.createOutputChannel("Avo Status");
  const channel = statusOutput;
  channel.clear();
  channel.show(true);
  channel.appendLine(`$ ${formatCommandLine(command, args)}${plan.cwd ? `   (in ${plan.cwd})` : ""}`);
  const child = childProcess.spawn(command, args, { cwd: plan.cwd, env: plan.env });
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => channel.append(chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => channel.append(chunk));
  child.on("error", (err) => {
    channel.appendLine(`\nCould not run the command: ${err.message}`);
    void vscode.window.showErrorMessage(`Avo: could not run ${command}: ${err.message}`);
  });
  child.on("close", (code, signal) => {
    channel.appendLine(signal ? `\n[killed by ${signal}]` : `\n[exit code ${code ?? "?"}]`);
  });
}

export function activate(context: vscode.ExtensionContext): void {
  output = vscode.window.createOutputChannel("Avo");
  statusItem = vscode.window.createStatusBarItem("avo.status", vscode.StatusBarAlignment.Left, 0);
  statusItem.name = "Avo";
  statusItem.command = "avo.showOutput";
  context.subscriptions.push(
    output,
    statusItem,
    { dispose: () => statusOutput?.dispose() },
    vscode.commands.registerCommand("avo.generate", generate),
    vscode.commands.registerCommand("avo.showStatus", showStatus),
    vscode.commands.registerCommand("avo.restart", restart),
    vscode.commands.registerCommand("avo.showOutput", () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      const changed = needsRestart((section) => e.affectsConfiguration(section));
      if (changed) {
        // A new client too: its document selector follows avo.planPath.
        log(`${changed} changed`);
        void restart();
      }
      // Other `avo.*` changes reach the running server as
      // workspace/didChangeConfiguration (synchronize.configurationSection).
    }),
  );
  log(`activated (VS Code ${vscode.version}, extension ${String((context.extension.packageJSON as { version?: unknown }).version)})`);
  // Not awaited: activation must not wait for the server's `initialize`.
  void queue(startClient);
}

export function deactivate(): Promise<void> {
  return queue(stopClient);
}

// SPDX-License-Identifier: MIT
// The VS Code extension (editors/vscode) outside VS Code: its package.json and language
// configuration are consistent, vscode-languageclient loads and has what extension.js uses,
// and extension.js, activated against a stand-in `vscode` module, starts the server with the
// command line of its settings and restarts it when they change.
// usage: node extension.js EXTENSION_DIR   (EXTENSION_DIR has node_modules from npm ci)
"use strict";

const fs = require("fs");
const path = require("path");
const Module = require("module");

const dir = path.resolve(process.argv[2] || "editors/vscode");
let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) passed++;
  else {
    failed++;
    console.log(`FAIL: ${what}`);
  }
}
const eq = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// ---- package.json and the files it names ----
const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
check(fs.existsSync(path.join(dir, pkg.main)), `package.json main ${pkg.main} is missing`);
const langs = Object.fromEntries(pkg.contributes.languages.map((l) => [l.id, l]));
check(eq(langs.mga && langs.mga.extensions, [".mga"]), "language mga is not for .mga files");
check(eq(langs.mgt && langs.mgt.extensions, [".mgt"]), "language mgt is not for .mgt files");
for (const l of pkg.contributes.languages) {
  const conf = JSON.parse(fs.readFileSync(path.join(dir, l.configuration), "utf8"));
  check(conf.comments.lineComment === "#", `${l.configuration}: the line comment is not #`);
  check(new RegExp(conf.indentationRules.increaseIndentPattern).test("rule r1") &&
    new RegExp(conf.indentationRules.decreaseIndentPattern).test("  end") &&
    !new RegExp(conf.indentationRules.increaseIndentPattern).test("fact f when x"),
    `${l.configuration}: the indentation rules do not indent a rule to its end`);
  check(new RegExp(`^(?:${conf.wordPattern})$`).test("nmol/L") &&
    new RegExp(`^(?:${conf.wordPattern})$`).test("s1_kidney_disease"), `${l.configuration}: the word pattern`);
}
for (const g of pkg.contributes.grammars) {
  const grammar = JSON.parse(fs.readFileSync(path.join(dir, g.path), "utf8"));
  check(grammar.scopeName === g.scopeName, `${g.path}: scopeName ${grammar.scopeName}, package.json says ${g.scopeName}`);
  check(langs[g.language] !== undefined, `grammar ${g.path} for an unknown language ${g.language}`);
}
const props = pkg.contributes.configuration.properties;
check(props["mgadvise.path"] && props["mgadvise.path"].default === "mgadvise", "setting mgadvise.path");
check(props["mgadvise.args"] && props["mgadvise.args"].type === "array", "setting mgadvise.args");
check(props["mgadvise.trace.server"] && eq(props["mgadvise.trace.server"].enum, ["off", "messages", "verbose"]),
  "setting mgadvise.trace.server (read by vscode-languageclient for the client id mgadvise)");
check(eq(pkg.activationEvents, ["onLanguage:mga", "onLanguage:mgt"]), "activation events");
check(pkg.scripts && /vsce package/.test(pkg.scripts.package), "npm run package runs vsce package");

// ---- a stand-in for the `vscode` module: records what the extension does ----
const log = { commands: {}, configHandlers: [], errors: [] };
let settings = { path: "/opt/mgadvise/bin/mgadvise", args: ["--extra"] };
const disposable = { dispose() {} };
const vscodeStub = new Proxy(
  {
    workspace: {
      getConfiguration: (section) => {
        check(section === "mgadvise", `getConfiguration('${section}')`);
        return { get: (k) => settings[k] };
      },
      onDidChangeConfiguration: (fn) => (log.configHandlers.push(fn), disposable),
      createFileSystemWatcher: (glob) => ({ glob, dispose() {} }),
    },
    commands: { registerCommand: (name, fn) => ((log.commands[name] = fn), disposable) },
    window: { showErrorMessage: (m) => log.errors.push(m) },
  },
  { get: (t, k) => (k in t ? t[k] : class {}) } // anything else the client library touches at load
);
const realLoad = Module._load;
let fakeClient = null;
Module._load = function (request, parent, isMain) {
  if (request === "vscode") return vscodeStub;
  if (request === "vscode-languageclient/node" && fakeClient) return fakeClient;
  return realLoad.call(this, request, parent, isMain);
};

// The real client library loads and has what extension.js takes from it.
const real = require(path.join(dir, "node_modules/vscode-languageclient/node"));
check(typeof real.LanguageClient === "function", "vscode-languageclient/node has no LanguageClient");
check(real.TransportKind && real.TransportKind.stdio !== undefined, "vscode-languageclient/node has no TransportKind.stdio");

// A LanguageClient that records its arguments, start and stop.
const clients = [];
fakeClient = {
  TransportKind: real.TransportKind,
  LanguageClient: class {
    constructor(id, name, serverOptions, clientOptions) {
      Object.assign(this, { id, name, serverOptions, clientOptions, started: 0, stopped: 0 });
      clients.push(this);
    }
    start() { this.started++; return Promise.resolve(); }
    stop() { this.stopped++; return Promise.resolve(); }
  },
};

async function main() {
  const ext = require(path.join(dir, pkg.main));
  const context = { subscriptions: [] };
  await ext.activate(context);
  check(clients.length === 1 && clients[0].started === 1, "activate starts one language client");
  const c = clients[0];
  check(c.id === "mgadvise", `client id '${c.id}' (the trace setting is read as <id>.trace.server)`);
  const run = { command: "/opt/mgadvise/bin/mgadvise", args: ["lsp", "--extra"], transport: real.TransportKind.stdio };
  check(eq(c.serverOptions.run, run) && eq(c.serverOptions.debug, run),
    `server command ${JSON.stringify(c.serverOptions.run)}, expected ${JSON.stringify(run)}`);
  const langsSel = [...new Set(c.clientOptions.documentSelector.map((s) => s.language))].sort();
  check(eq(langsSel, ["mga", "mgt"]), `document selector languages ${langsSel}`);
  check(c.clientOptions.synchronize.fileEvents.glob === "**/*.{mga,mgt}", "file events watch *.mga and *.mgt");
  const declared = pkg.contributes.commands.map((x) => x.command);
  check(eq(Object.keys(log.commands), declared), `registered commands ${Object.keys(log.commands)} vs package.json ${declared}`);
  check(context.subscriptions.length >= 2, "activate leaves its disposables in context.subscriptions");

  // Default settings: plain `mgadvise lsp` from PATH.
  settings = {};
  await log.commands["mgadvise.restartServer"]();
  check(clients.length === 2 && c.stopped === 1 && clients[1].started === 1, "restart stops the client and starts a new one");
  check(eq(clients[1].serverOptions.run.command, "mgadvise") && eq(clients[1].serverOptions.run.args, ["lsp"]),
    `default server command ${JSON.stringify(clients[1].serverOptions.run)}`);

  // A change of mgadvise.path restarts the server; other settings do not.
  settings = { path: "/usr/bin/mgadvise" };
  for (const h of log.configHandlers) await h({ affectsConfiguration: (s) => s === "mgadvise.path" });
  await new Promise((r) => setImmediate(r));
  check(clients.length === 3 && clients[2].serverOptions.run.command === "/usr/bin/mgadvise",
    "a change of mgadvise.path restarts the server with the new program");
  for (const h of log.configHandlers) await h({ affectsConfiguration: (s) => s === "editor.fontSize" });
  check(clients.length === 3, "an unrelated setting restarts nothing");

  await ext.deactivate();
  check(clients[2].stopped === 1, "deactivate stops the client");
  check(log.errors.length === 0, `error messages shown: ${log.errors.join("; ")}`);

  console.log(`editors-extension: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log(`FAIL: ${e.stack || e}`);
  console.log(`editors-extension: ${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});

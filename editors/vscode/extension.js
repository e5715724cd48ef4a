// SPDX-License-Identifier: MIT
// The VS Code client of `mgadvise lsp`: starts the language server over stdio for rule
// files (mga) and rule tests (mgt), and restarts it when its settings change.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

// The server's command line from the settings: mgadvise.path, then `lsp`, then mgadvise.args.
function serverCommand(config) {
  const command = config.get("path") || "mgadvise";
  const extra = config.get("args") || [];
  return { command, args: ["lsp", ...extra.map(String)], transport: TransportKind.stdio };
}

function startClient() {
  const config = vscode.workspace.getConfiguration("mgadvise");
  const run = serverCommand(config);
  client = new LanguageClient(
    "mgadvise",
    "mgadvise",
    { run, debug: run },
    {
      documentSelector: [
        { scheme: "file", language: "mga" },
        { scheme: "file", language: "mgt" },
        { scheme: "untitled", language: "mga" },
        { scheme: "untitled", language: "mgt" },
      ],
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{mga,mgt}") },
    }
  );
  return client.start().catch((err) => {
    vscode.window.showErrorMessage(
      `mgadvise: cannot start the language server '${run.command} ${run.args.join(" ")}': ${err.message || err}` +
        " (set mgadvise.path to the mgadvise program)"
    );
  });
}

async function restart() {
  if (client) {
    const old = client;
    client = undefined;
    await old.stop().catch(() => {});
  }
  return startClient();
}

function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("mgadvise.restartServer", restart),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("mgadvise.path") || e.affectsConfiguration("mgadvise.args")) restart();
    })
  );
  return startClient();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate, serverCommand };

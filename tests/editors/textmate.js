// SPDX-License-Identifier: MIT
// Loads the editor grammars (editors/vscode/syntaxes) with vscode-textmate on the Oniguruma
// regex engine, as VS Code does, and tokenizes text line by line.
"use strict";

const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const GRAMMARS = {
  "source.mga": "mga.tmLanguage.json",
  "source.mgt": "mgt.tmLanguage.json",
};

// A vscode-textmate registry reading the grammars of syntaxDir; throws when the regex
// engine or a grammar does not load.
async function loadRegistry(syntaxDir) {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const onigLib = Promise.resolve({
    createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
    createOnigString: (s) => new oniguruma.OnigString(s),
  });
  return new vsctm.Registry({
    onigLib,
    loadGrammar: async (scopeName) => {
      const file = GRAMMARS[scopeName];
      if (!file) return null;
      const full = path.join(syntaxDir, file);
      return vsctm.parseRawGrammar(fs.readFileSync(full, "utf8"), full);
    },
  });
}

async function loadGrammar(registry, scopeName) {
  const grammar = await registry.loadGrammar(scopeName);
  if (!grammar) throw new Error(`the grammar ${scopeName} does not load`);
  return grammar;
}

// [[{text, scopes, start}...] per line] for text (lines split on \n; a \r before it dropped).
function tokenize(grammar, text) {
  let stack = vsctm.INITIAL;
  return text.split("\n").map((raw) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    return r.tokens.map((t) => ({
      text: line.slice(t.startIndex, t.endIndex),
      scopes: t.scopes,
      start: t.startIndex,
    }));
  });
}

module.exports = { loadRegistry, loadGrammar, tokenize, GRAMMARS };

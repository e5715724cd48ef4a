// SPDX-License-Identifier: MIT
// The TextMate grammars of the editor packages against the language (make editors-test):
// both load; every keyword of the scanner's tables (engine/lexsup.c) is a keyword of the
// grammar and the grammar has no other; every shipped .mga and .mgt file (rules/, tests/,
// examples/) tokenizes with no text left in the root scope alone, the rule files and rule
// tests with no invalid token; known lines get the scopes they should.
// usage: node tokenize.js REPO_ROOT   (NODE_PATH: the folder with vscode-textmate)
"use strict";

const fs = require("fs");
const path = require("path");
const { loadRegistry, loadGrammar, tokenize } = require("./textmate");

const root = path.resolve(process.argv[2] || ".");
const syntaxDir = path.join(root, "editors/vscode/syntaxes");
let passed = 0;
let failed = 0;

function check(ok, what) {
  if (ok) passed++;
  else {
    failed++;
    console.log(`FAIL: ${what}`);
  }
}

// The words of the keyword tables of engine/lexsup.c ({"word", K_WORD}).
function lexerKeywords() {
  const src = fs.readFileSync(path.join(root, "engine/lexsup.c"), "utf8");
  const words = [...src.matchAll(/\{"([a-z]+)",\s*K_[A-Z]+\}/g)].map((m) => m[1]);
  if (words.length < 50) throw new Error(`engine/lexsup.c: found only ${words.length} keywords`);
  return new Set(words);
}

// The words of the grammar's keyword patterns (repository.keyword: \b(?:a|b|...)\b).
function grammarKeywords() {
  const g = JSON.parse(fs.readFileSync(path.join(syntaxDir, "mga.tmLanguage.json"), "utf8"));
  const words = new Set();
  for (const p of g.repository.keyword.patterns) {
    const m = /^\\b\(\?:([a-z|]+)\)\\b$/.exec(p.match);
    if (!m) throw new Error(`keyword pattern not a list of words: ${p.match}`);
    m[1].split("|").forEach((w) => words.add(w));
  }
  return words;
}

function shippedFiles() {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "node_modules") walk(full);
      } else if (/\.(mga|mgt)$/.test(e.name)) out.push(full);
    }
  };
  for (const d of ["rules", "tests", "examples"]) walk(path.join(root, d));
  return out;
}

const KEYWORD_SCOPE = /^(keyword\.|support\.type\.|constant\.language\.boolean\.)/;

function lastScope(tok) {
  return tok.scopes[tok.scopes.length - 1];
}

// The scopes of the first token of `line` whose text is `word`, at or after column `from`.
function scopesOf(lines, lineNo, word, from = 0) {
  const t = lines[lineNo].find((tk) => tk.text === word && tk.start >= from);
  return t ? t.scopes : [];
}

function expectScope(file, lines, find, word, scope) {
  const rel = path.relative(root, file);
  const n = lines.findIndex((toks) => find.test(toks.map((t) => t.text).join("")));
  if (n < 0) {
    check(false, `${rel}: no line matches ${find}`);
    return;
  }
  const scopes = scopesOf(lines, n, word);
  check(scopes.some((s) => s.startsWith(scope)),
    `${rel}:${n + 1}: '${word}' should have scope ${scope}, has ${scopes.join(" ") || "no token"}`);
}

async function main() {
  const registry = await loadRegistry(syntaxDir);
  const mga = await loadGrammar(registry, "source.mga");
  const mgt = await loadGrammar(registry, "source.mgt");
  check(true, "the grammars load");

  // The keyword sets agree, and each keyword alone on a line is scoped as one.
  const lex = lexerKeywords();
  const gram = grammarKeywords();
  for (const w of lex) {
    check(gram.has(w), `keyword '${w}' of engine/lexsup.c is missing from the grammar`);
    for (const [name, g] of [["mga", mga], ["mgt", mgt]]) {
      const toks = tokenize(g, `${w}`)[0];
      check(toks.length === 1 && KEYWORD_SCOPE.test(lastScope(toks[0])),
        `${name}: '${w}' alone is scoped ${toks.map((t) => lastScope(t)).join(" ")}, not as a keyword`);
    }
  }
  for (const w of gram) check(lex.has(w), `the grammar's keyword '${w}' is not a keyword of engine/lexsup.c`);

  // Every shipped file: no text in the root scope alone; no invalid token in the shipped
  // rules and rule tests (the golden and fuzz inputs hold errors on purpose).
  const files = shippedFiles();
  check(files.filter((f) => f.endsWith(".mga")).length >= 10 && files.some((f) => f.endsWith(".mgt")),
    `found too few .mga/.mgt files under rules/, tests/, examples/ (${files.length})`);
  let tokens = 0;
  for (const file of files) {
    const rel = path.relative(root, file);
    const g = file.endsWith(".mgt") ? mgt : mga;
    const lines = tokenize(g, fs.readFileSync(file, "utf8"));
    const strict = /^(rules|tests\/rules)\//.test(rel);
    let bad = null;
    lines.forEach((toks, i) => {
      for (const t of toks) {
        if (!/\S/.test(t.text)) continue;
        tokens++;
        if (!bad && t.scopes.length < 2) bad = `${rel}:${i + 1}:${t.start + 1}: '${t.text}' has only the root scope`;
        if (!bad && strict && t.scopes.some((s) => s.startsWith("invalid."))) {
          bad = `${rel}:${i + 1}:${t.start + 1}: '${t.text}' is scoped ${lastScope(t)}`;
        }
      }
    });
    check(bad === null, bad);
  }

  // Known lines of the shipped files get the scopes they should.
  const at = (rel) => {
    const file = path.join(root, rel);
    return [file, tokenize(rel.endsWith(".mgt") ? mgt : mga, fs.readFileSync(file, "utf8"))];
  };
  const [dose, doseLines] = at("rules/dose.mga");
  expectScope(dose, doseLines, /^rule d1_nhs_daily_amount_men$/, "rule", "keyword.control");
  expectScope(dose, doseLines, /^rule d1_nhs_daily_amount_men$/, "d1_nhs_daily_amount_men", "entity.name.function");
  expectScope(dose, doseLines, /^# Dose \(GUIDANCE/, "#", "comment.line.number-sign");
  expectScope(dose, doseLines, /^  when age > 64 years$/, "64", "constant.numeric");
  expectScope(dose, doseLines, /^  when age > 64 years$/, "years", "keyword.other.unit");
  expectScope(dose, doseLines, /^  when age > 64 years$/, ">", "keyword.operator.comparison");
  expectScope(dose, doseLines, /^  severity info$/, "info", "constant.language.severity");
  const sayLine = doseLines.findIndex((t) => t.length && t.map((x) => x.text).join("").startsWith("  say \""));
  check(sayLine >= 0 && doseLines[sayLine].slice(3).every((t) => t.scopes.some((s) => s.startsWith("string.quoted.double"))),
    "rules/dose.mga: the text after say is not all string.quoted.double");
  const [prof, profLines] = at("rules/profile.mga");
  expectScope(prof, profLines, /^  age: number years range 0\.\.130$/, "age", "variable.other.property");
  expectScope(prof, profLines, /^  age: number years range 0\.\.130$/, "number", "support.type");
  expectScope(prof, profLines, /^  age: number years range 0\.\.130$/, "years", "keyword.other.unit");
  expectScope(prof, profLines, /^  age: number years range 0\.\.130$/, "..", "keyword.operator.range");
  expectScope(prof, profLines, /^  sex: one of female, male$/, "one", "support.type");
  const [units, unitLines] = at("rules/units.mga");
  expectScope(units, unitLines, /^  unit ng\/mL = 2\.496 nmol\/L$/, "2.496", "constant.numeric");
  expectScope(units, unitLines, /^  unit ng\/mL = 2\.496 nmol\/L$/, "nmol/L", "keyword.other.unit");
  const [t, tLines] = at("tests/rules/dose.mgt");
  expectScope(t, tLines, /^  given age: 40 years$/, "given", "keyword.control");
  expectScope(t, tLines, /^  given age: 40 years$/, "40", "constant.numeric");
  expectScope(t, tLines, /^  given age: 40 years$/, "years", "keyword.other.unit");
  expectScope(t, tLines, /^  expect no d1_nhs_daily_amount_women$/, "d1_nhs_daily_amount_women", "entity.name.function");
  expectScope(t, tLines, /^test "D1: a man of 19 to 64/, "test", "keyword.control");

  console.log(`editors: tokenized ${files.length} files (${tokens} tokens) with the TextMate grammars`);
  console.log(`editors-tokens: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log(`FAIL: ${e.stack || e}`);
  console.log(`editors-tokens: ${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});

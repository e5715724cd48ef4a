// SPDX-License-Identifier: MIT
// docs/editors-lsp.svg from live answers: runs `mgadvise lsp` on tests/editors/sample.mgt
// (a rule test with a misspelt value) beside a copy of rules/, takes the diagnostics it
// publishes and its hover over the rule the test expects, colours the text with the
// TextMate grammar of editors/vscode, and draws the editor: code, squiggle, hover box and
// the problems list.
// usage: node picture.js MGADVISE REPO_ROOT OUT.svg        writes the picture
//        node picture.js MGADVISE REPO_ROOT --check FILE   fails when FILE differs
// (NODE_PATH: the folder with vscode-textmate and vscode-oniguruma)
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { loadRegistry, loadGrammar, tokenize } = require("./textmate");
const { LspClient } = require("./lspclient");

const [mgadvise, rootArg, outArg, checkFile] = process.argv.slice(2);
if (!mgadvise || !rootArg || !outArg || (outArg === "--check" && !checkFile)) {
  console.error("usage: picture.js MGADVISE REPO_ROOT (OUT.svg | --check FILE)");
  process.exit(2);
}
const root = path.resolve(rootArg);
const SAMPLE = "tests/editors/sample.mgt";
const HOVER_WORD = "s1_kidney_disease_avoid_supplements";

// ---- the live answers ----

async function answers(text) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mgadvise-picture-"));
  try {
    fs.mkdirSync(path.join(tmp, "rules"));
    fs.mkdirSync(path.join(tmp, "tests"));
    for (const f of fs.readdirSync(path.join(root, "rules")).filter((f) => f.endsWith(".mga"))) {
      fs.copyFileSync(path.join(root, "rules", f), path.join(tmp, "rules", f));
    }
    const uri = `file://${tmp}/tests/sample.mgt`;
    const c = new LspClient(path.resolve(mgadvise), ["lsp"]);
    await c.request("initialize", {
      processId: process.pid,
      rootUri: `file://${tmp}`,
      workspaceFolders: [{ uri: `file://${tmp}`, name: "rules" }],
      capabilities: {},
    });
    c.notify("initialized", {});
    c.notify("textDocument/didOpen", { textDocument: { uri, languageId: "mgt", version: 1, text } });
    const diags = (await c.notification("textDocument/publishDiagnostics", (p) => p.uri === uri)).diagnostics;
    const lines = text.split("\n");
    const line = lines.findIndex((l) => l.includes(HOVER_WORD));
    if (line < 0) throw new Error(`${SAMPLE}: no line names ${HOVER_WORD}`);
    const character = lines[line].indexOf(HOVER_WORD) + 3;
    const hover = await c.request("textDocument/hover", {
      textDocument: { uri },
      position: { line, character },
    });
    const status = await c.close();
    if (status !== 0) throw new Error(`mgadvise lsp exited with status ${status}`);
    return { diags, hover, hoverAt: { line, character: lines[line].indexOf(HOVER_WORD) } };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---- drawing ----

const FONT = 13;
const CW = 7.8; // the advance of one character of DejaVu Sans Mono at 13 px
const LH = 19;
const GUTTER = 44;
const PAD = 12;
const COLS = 100;
const WIDTH = Math.ceil(GUTTER + PAD * 2 + COLS * CW);

// Light theme colours by scope prefix; the longest prefix of the innermost scope wins.
const THEME = [
  ["comment", "#008000"],
  ["punctuation.definition.comment", "#008000"],
  ["string", "#a31515"],
  ["constant.character.escape", "#ee0000"],
  ["constant.numeric", "#098658"],
  ["keyword.other.unit", "#267f99"],
  ["keyword.control", "#af00db"],
  ["keyword.operator", "#0000ff"],
  ["keyword.other", "#0000ff"],
  ["support.type", "#267f99"],
  ["entity.name.function", "#795e26"],
  ["entity.name", "#267f99"],
  ["variable.other.property", "#001080"],
  ["variable", "#001080"],
  ["constant.language", "#0000ff"],
  ["invalid", "#cd3131"],
  ["punctuation", "#383a42"],
];

function colour(scopes) {
  for (let i = scopes.length - 1; i >= 0; i--) {
    let best = null;
    for (const [prefix, c] of THEME) {
      if ((scopes[i] === prefix || scopes[i].startsWith(prefix + ".")) && (!best || prefix.length > best[0].length)) {
        best = [prefix, c];
      }
    }
    if (best) return best[1];
  }
  throw new Error(`no colour for the scopes ${scopes.join(" ")}`);
}

const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const px = (n) => (Math.round(n * 10) / 10).toString();

// Words of s wrapped to lines of at most width characters.
function wrap(s, width) {
  const out = [];
  let cur = "";
  for (const w of s.split(/\s+/).filter(Boolean)) {
    if (cur && cur.length + 1 + w.length > width) {
      out.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) out.push(cur);
  return out;
}

// The hover's markdown as lines of runs {text, bold, code}: paragraphs wrapped, list items
// with a bullet; **bold** and `code` kept as runs.
function markdownLines(md, width) {
  const lines = [];
  for (const para of md.split(/\n\s*\n/)) {
    for (const item of para.split(/\n(?=- )/)) {
      const bullet = item.startsWith("- ");
      const body = bullet ? item.slice(2) : item;
      wrap(body.replace(/\n/g, " "), width - (bullet ? 2 : 0)).forEach((l, i) => {
        lines.push({ indent: bullet ? 2 : 0, bullet: bullet && i === 0, text: l });
      });
    }
    lines.push(null);
  }
  lines.pop();
  // runs: the ** and ` marks may span wrapped lines; track them across lines
  let bold = false;
  let code = false;
  return lines.map((l) => {
    if (!l) return null;
    const runs = [];
    for (const part of l.text.split(/(\*\*|`)/)) {
      if (part === "**") bold = !bold;
      else if (part === "`") code = !code;
      else if (part) runs.push({ text: part, bold, code });
    }
    return { indent: l.indent, bullet: l.bullet, runs };
  });
}

function render(text, tokens, a) {
  const src = text.replace(/\n$/, "").split("\n");
  const out = [];
  const hoverLines = markdownLines((a.hover && a.hover.contents && a.hover.contents.value) || "", COLS - 14);
  const codeTop = 40;
  const lineY = (i) => codeTop + LH * (i + 1) - 5;
  const colX = (c) => GUTTER + PAD + c * CW;
  const hoverTop = codeTop + LH * (a.hoverAt.line + 1) + 2;
  const hoverH = hoverLines.length * LH + PAD * 2 - 4;
  const editorH = Math.max(codeTop + LH * src.length, hoverTop + hoverH) + PAD + 6;
  const problems = a.diags.map((d) => d.message.split("\n"));
  const problemsH = 30 + problems.reduce((n, p) => n + p.length, 0) * LH + PAD;
  const height = editorH + problemsH;

  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="${FONT}">`);
  out.push(`<title>mgadvise lsp in an editor: a rule test with a misspelt value, its diagnostic, and the hover over a rule id</title>`);
  out.push(`<rect width="${WIDTH}" height="${height}" fill="#ffffff" stroke="#c8c8c8"/>`);
  out.push(`<rect width="${WIDTH}" height="28" fill="#f3f3f3"/>`);
  out.push(`<text x="${PAD}" y="19" fill="#333333" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">tests/sample.mgt — mgadvise lsp</text>`);
  out.push(`<rect x="0" y="${codeTop - 6}" width="${GUTTER}" height="${editorH - codeTop + 6}" fill="#f7f7f7"/>`);

  src.forEach((line, i) => {
    out.push(`<text x="${GUTTER - 8}" y="${lineY(i)}" fill="#999999" text-anchor="end">${i + 1}</text>`);
    const runs = tokens[i]
      .filter((t) => /\S/.test(t.text))
      .map((t) => `<tspan x="${px(colX(t.start))}" fill="${colour(t.scopes)}">${esc(t.text)}</tspan>`);
    if (runs.length) out.push(`<text y="${lineY(i)}" xml:space="preserve">${runs.join("")}</text>`);
  });

  // squiggles under each diagnostic's range (one line ranges, as the sample has)
  for (const d of a.diags) {
    const { start, end } = d.range;
    const x0 = colX(start.character);
    const x1 = colX(end.line === start.line ? end.character : src[start.line].length);
    const y = lineY(start.line) + 4;
    let p = `M${px(x0)} ${y}`;
    for (let x = x0, up = true; x < x1; x += 3, up = !up) p += ` L${px(Math.min(x + 3, x1))} ${up ? y - 2 : y}`;
    const c = d.severity === 1 ? "#e51400" : "#bf8803";
    out.push(`<path d="${p}" fill="none" stroke="${c}" stroke-width="1.2"><title>${esc(d.message)}</title></path>`);
  }

  // the hover box, under the hovered word
  const hx = colX(a.hoverAt.character) - 10;
  const hw = Math.min(WIDTH - hx - PAD, (COLS - 14) * CW + PAD * 2);
  out.push(`<rect x="${px(hx)}" y="${hoverTop}" width="${px(hw)}" height="${hoverH}" rx="3" fill="#f8f8f8" stroke="#c8c8c8"/>`);
  hoverLines.forEach((l, i) => {
    if (!l) return;
    const y = hoverTop + PAD + LH * i + 9;
    let x = hx + PAD + l.indent * CW;
    const spans = [];
    if (l.bullet) spans.push(`<tspan x="${px(x - 2 * CW)}" fill="#333333">•</tspan>`);
    for (const r of l.runs) {
      const style = r.bold ? ` font-weight="bold"` : "";
      const fill = r.code ? "#a31515" : "#333333";
      spans.push(`<tspan x="${px(x)}" fill="${fill}"${style}>${esc(r.text)}</tspan>`);
      x += r.text.length * CW;
    }
    out.push(`<text y="${y}" xml:space="preserve">${spans.join("")}</text>`);
  });

  // the problems list
  const py = editorH;
  out.push(`<rect x="0" y="${py}" width="${WIDTH}" height="${problemsH}" fill="#f3f3f3" stroke="#c8c8c8"/>`);
  out.push(`<text x="${PAD}" y="${py + 20}" fill="#333333" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-weight="bold">PROBLEMS ${a.diags.length}</text>`);
  let row = 0;
  a.diags.forEach((d, k) => {
    const where = `[Ln ${d.range.start.line + 1}, Col ${d.range.start.character + 1}]`;
    problems[k].forEach((m, j) => {
      const y = py + 30 + LH * (row + 1) - 5;
      const icon = d.severity === 1 ? "✖" : "⚠";
      const head = j === 0
        ? `<tspan x="${PAD}" fill="${d.severity === 1 ? "#e51400" : "#bf8803"}">${icon}</tspan>`
        : "";
      const tail = j === 0 ? `<tspan fill="#777777"> ${esc(`${d.source}(${d.code}) ${where}`)}</tspan>` : "";
      out.push(`<text y="${y}" xml:space="preserve">${head}<tspan x="${PAD + 2 * CW + (j ? 2 * CW : 0)}" fill="#333333">${esc(m)}</tspan>${tail}</text>`);
      row++;
    });
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

async function main() {
  const text = fs.readFileSync(path.join(root, SAMPLE), "utf8");
  const a = await answers(text);
  // The picture shows a diagnostic and a hover, or it shows nothing worth showing.
  if (!a.diags.length) throw new Error(`mgadvise lsp published no diagnostic for ${SAMPLE}`);
  if (!a.hover || !a.hover.contents || !a.hover.contents.value) {
    throw new Error(`mgadvise lsp gave no hover over ${HOVER_WORD} in ${SAMPLE}`);
  }
  const registry = await loadRegistry(path.join(root, "editors/vscode/syntaxes"));
  const grammar = await loadGrammar(registry, "source.mgt");
  const svg = render(text, tokenize(grammar, text), a);
  if (outArg === "--check") {
    const old = fs.existsSync(checkFile) ? fs.readFileSync(checkFile, "utf8") : "";
    if (old !== svg) {
      const tmp = path.join(os.tmpdir(), "editors-lsp.svg");
      fs.writeFileSync(tmp, svg);
      console.log(`FAIL: ${checkFile} differs from what mgadvise lsp answers now (make editors-svg; new picture in ${tmp})`);
      console.log("editors-picture: 0 passed, 1 failed");
      process.exit(1);
    }
    console.log(`editors: ${checkFile} matches the live diagnostics and hover of mgadvise lsp`);
    console.log("editors-picture: 1 passed, 0 failed");
  } else {
    fs.writeFileSync(outArg, svg);
    console.log(`editors: wrote ${outArg}`);
  }
}

main().catch((e) => {
  console.log(`FAIL: ${e.message || e}`);
  process.exit(1);
});

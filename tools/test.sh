#!/usr/bin/env bash
# The test command: type-check, unit tests, then the end-to-end suite against the local stack (brought
# up here when it is not running). Prints a closing line "N passed, N failed" from Jest's JSON results.
set -uo pipefail
cd "$(dirname "$0")/.."

bash tools/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
bash tools/local-stack/up.sh || { echo "local stack failed to start"; echo "0 passed, 1 failed"; exit 1; }

status=0
npx tsc -p tsconfig.json --noEmit || status=1
# Format and lint are part of the tests: a file Prettier would change, or any ESLint finding (typescript-eslint's
# recommended type-checked rules, zero warnings allowed), fails the run. Fix with: npm run format, npm run lint.
npm run --silent format:check || status=1
npm run --silent lint || status=1

results=$(mktemp -d)
npx jest --selectProjects unit --json --outputFile="$results/unit.json" || status=1
# Figures are recorded afresh by this run's end-to-end suites, then rendered into docs/reliability.md.
rm -rf dist/figures
npx jest --selectProjects e2e --runInBand --json --outputFile="$results/e2e.json" || status=1
node -r @swc-node/register tools/figures.ts || status=1

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  for (const f of process.argv.slice(1)) {
    if (!fs.existsSync(f)) { failed++; console.log(`no results in ${f}`); continue; }
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  }
  console.log(`${passed} passed, ${failed} failed`);
' "$results/unit.json" "$results/e2e.json"
rm -rf "$results"
exit $status

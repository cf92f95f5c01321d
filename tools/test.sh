#!/usr/bin/env bash
# The test command: type-check, format and lint, the unit tests on the machine's Node and again on Node 24,
# then the end-to-end suite against the local stack (brought up here when it is not running). Prints a
# closing line "N passed, N failed" from Jest's JSON results, counting both unit runs.
set -uo pipefail
cd "$(dirname "$0")/.."

bash tools/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
# Node 24 beside the machine's Node (tools/node24.sh), exported for the suites that run something on it.
# Without it the Node 24 unit run counts as failed.
NODE24=$(bash tools/node24.sh) || NODE24=
export NODE24
bash tools/local-stack/up.sh || { echo "local stack failed to start"; echo "0 passed, 1 failed"; exit 1; }

status=0
npx tsc -p tsconfig.json --noEmit || status=1
# Format and lint are part of the tests: a file Prettier would change, or any ESLint finding (typescript-eslint's
# recommended type-checked rules, zero warnings allowed), fails the run. Fix with: npm run format, npm run lint.
npm run --silent format:check || status=1
npm run --silent lint || status=1

results=$(mktemp -d)
npx jest --selectProjects unit --json --outputFile="$results/unit.json" || status=1
# The same unit tests on Node 24, and every `node` they start too (PATH).
if [[ -n "$NODE24" ]]; then
  echo "unit tests on Node $("$NODE24" --version)"
  PATH="$(dirname "$NODE24"):$PATH" "$NODE24" node_modules/jest/bin/jest.js --selectProjects unit --json \
    --outputFile="$results/unit-node24.json" || status=1
else
  echo "no Node 24 (tools/node24.sh failed): the unit tests did not run on it"
  status=1
fi
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
' "$results/unit.json" "$results/unit-node24.json" "$results/e2e.json"
rm -rf "$results"
exit $status

#!/usr/bin/env bash
# Runs the reliability suites and writes the figures their log prints into README.md's reliability-log block.
# Usage: scripts/readme-reliability.sh [path/to/a/test.log]   (with a log, reads it instead of running the suites)
set -euo pipefail
cd "$(dirname "$0")/.."

temporary=()
trap 'rm -f "${temporary[@]}"' EXIT
log=${1:-}
if [ -z "$log" ]; then
  log=$(mktemp)
  temporary+=("$log")
  dotnet build tests/DapperTenants.Tests -c Release >/dev/null
  dotnet test tests/DapperTenants.Tests -c Release --no-build --filter "FullyQualifiedName~Reliability" --logger "console;verbosity=normal" | tee "$log"
fi

lines=$(mktemp)
temporary+=("$lines")
for prefix in 'leak fuzzer: ' 'attack statements tried ' 'faults injected and survived: ' 'restart under load: '; do
  grep -E "^ *${prefix}" "$log" | sed -E 's/^ +//' | awk '!seen[$0]++' >> "$lines" || true
done
if [ ! -s "$lines" ]; then
  echo "No reliability figures in $log." >&2
  exit 1
fi

# Replace the fenced block after <!-- checked: reliability-log --> with the lines.
awk -v lines="$lines" '
  state == 0 && $0 == "<!-- checked: reliability-log -->" { print; state = 1; next }
  state == 1 { print; state = 2; while ((getline l < lines) > 0) print l; next }   # the opening fence
  state == 2 { if ($0 == "```") { print; state = 3 } ; next }                   # drop the old lines
  { print }
' README.md > README.md.new
mv README.md.new README.md
echo "README.md: reliability-log block rewritten ($(wc -l < "$lines") lines)."

#!/usr/bin/env bash
# Mutation check: breaks one part of the library at a time, runs the test suite against the broken build, and counts
# the failing tests per fixture. Every suite that claims to cover the part must go red; the script exits 1 if one
# stays green (or a mutation no longer applies), 0 otherwise. The source is restored after each mutation, also on
# failure or Ctrl+C.
#
#   scripts/mutate.sh              # every mutation
#   scripts/mutate.sh guard        # the mutations whose name contains "guard"
#
# Needs the .NET SDK, the test prerequisites (PostgreSQL binaries, PgBouncer) and python3 (to read the .trx files).
# A run takes about as long as the test suite per mutation. Results go to .ci/out/mutations/.
set -uo pipefail
cd "$(dirname "$0")/.."

# ---------------------------------------------------------------------------------------------------------------
# The mutations. One per line: name | file | sed expression (applied with sed -E) | fixtures that must fail (regex).
# Retarget a mutation when its code moves: the script refuses a sed expression that changes nothing.
#   guard-passes-everything: the guard's only throw, the refusal of a failed check, is dropped.
#   context-sends-no-tenant: the context statement's parameter carries '' instead of the connection's tenant
#                            (set_config(setting, '', …): NULLIF makes it NULL, the policy matches no row).
#   policy-drops-force:      the installer's FORCE statement says NO FORCE, so the owner is exempt.
MUTATIONS=(
  "guard-passes-everything|src/DapperTenants/Guard/GuardPlan.cs|s/throw refusal;/_ = refusal;/|GuardWriteVerdictTests|GuardTamperVerdictTests|GuardMessageTests|GuardDatabaseTests|GuardOracleTests|AttackTests|DemoTests"
  "context-sends-no-tenant|src/DapperTenants/Connections/TenantContext.cs|s/public string Value => .*;/public string Value => string.Empty + _connection.Tenant[..0];/|Connections\.IsolationTests|DapperSurfaceTests|AsyncOnlyTests|LeakFuzzerTests|AttackTests|FaultTests|PgBouncerTests|DemoTests|QuickStartTests|Policies\.IsolationTests|LiteralTenantValueTests"
  "policy-drops-force|src/DapperTenants/Policies/PolicySql.cs|s/ FORCE ROW LEVEL SECURITY;\"/ NO FORCE ROW LEVEL SECURITY;\"/|ApplyTests|ScriptTests|PartitionTests|QuotingAndGrantTests|PolicyCommandTests|ReadmeOutputTests|DemoTests|Policies\.IsolationTests"
)
# ---------------------------------------------------------------------------------------------------------------

filter=${1:-}
out=.ci/out/mutations
mkdir -p "$out"
command -v python3 >/dev/null 2>&1 || { echo "python3 is needed to read the test results (.trx)." >&2; exit 1; }

backup=""
target=""
restore() {
  if [ -n "$backup" ] && [ -f "$backup" ]; then
    cp "$backup" "$target" && rm -f "$backup"
    backup=""
  fi
}
trap 'restore; exit 130' INT TERM
trap 'restore' EXIT

# Summarises a .trx: total and failed tests, then failed tests per fixture (class name).
summarise() {
  python3 - "$@" <<'PY'
import sys, xml.etree.ElementTree as ET, collections
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
total = failed = 0
per = collections.Counter()
for path in sys.argv[1:]:
    root = ET.parse(path).getroot()
    classes = {u.get("id"): u.find("t:TestMethod", ns).get("className") for u in root.iter("{%s}UnitTest" % ns["t"])}
    for r in root.iter("{%s}UnitTestResult" % ns["t"]):
        total += 1
        if r.get("outcome") == "Failed":
            failed += 1
            per[classes.get(r.get("testId"), "?")] += 1
print(f"{total} {failed}")
for name, n in sorted(per.items(), key=lambda kv: (-kv[1], kv[0])):
    print(f"{n} {name}")
PY
}

status=0
table=()
for entry in "${MUTATIONS[@]}"; do
  IFS='|' read -r name file expression must <<<"$entry"
  must=${entry#*|*|*|}
  if [ -n "$filter" ] && [[ "$name" != *"$filter"* ]]; then continue; fi
  echo "=== $name: $file"
  target=$file
  backup=$(mktemp)
  cp "$file" "$backup"
  sed -E -i "$expression" "$file"
  if cmp -s "$file" "$backup"; then
    echo "    the expression '$expression' changes nothing in $file: retarget this mutation" >&2
    restore
    table+=("| $name | does not apply: retarget | | |")
    status=1
    continue
  fi
  diff -u "$backup" "$file" | sed -n '3,$p' | grep -E '^[-+]' | sed 's/^/    /'

  if ! dotnet build DapperTenants.sln -c Release > "$out/$name.build.log" 2>&1; then
    echo "    the mutated source does not build (log: $out/$name.build.log): retarget this mutation" >&2
    restore
    table+=("| $name | does not build: retarget | | |")
    status=1
    continue
  fi

  # Every test project of the solution (the CLI's and ASP.NET Core's tests live in projects of their own): one .trx each.
  rm -rf "$out/$name"
  dotnet test DapperTenants.sln -c Release --no-build --results-directory "$PWD/$out/$name" --logger trx > "$out/$name.test.log" 2>&1
  restore

  summarise "$out/$name"/*.trx > "$out/$name.summary"
  read -r total failed < "$out/$name.summary"
  echo "    $failed of $total tests failed"
  tail -n +2 "$out/$name.summary" | sed 's/^/      /'
  missing=()
  IFS='|' read -r -a expected <<<"$must"
  for fixture in "${expected[@]}"; do
    # A fixture's class name, possibly with its parameters: DapperSurfaceTests(Async).
    if ! tail -n +2 "$out/$name.summary" | grep -Eq "[. ]${fixture}(\(.*\))?\$"; then
      missing+=("$fixture")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "    STAYED GREEN: ${missing[*]}"
    status=1
  fi

  red=$(tail -n +2 "$out/$name.summary" | awk '{ n = split($2, p, "."); printf "%s%s.%s %s", (NR > 1 ? ", " : ""), p[n - 1], p[n], $1 }')
  table+=("| $name | $failed of $total | ${red:-none} | ${missing[*]:-none} |")
done

# The source must be back as it was, and built again so later runs do not test a mutant.
restore
dotnet build DapperTenants.sln -c Release > "$out/restore.build.log" 2>&1 || { echo "the restored source does not build" >&2; status=1; }

echo
echo "| mutation | failing tests | failing tests per fixture | expected to fail but green |"
echo "|---|---|---|---|"
printf '%s\n' "${table[@]}"
exit "$status"

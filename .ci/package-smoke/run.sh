#!/usr/bin/env bash
# The path a user takes, proven on the packages rather than the projects:
#   1. pack every project under src/ into a local folder feed (warnings are errors), one version for all;
#   2. copy app/ (a console project kept here) OUTSIDE the repository; it references the packages by version, from
#      that feed only (nuget.config maps DapperTenants* to it; Dapper, Npgsql, ... come from nuget.org), with no
#      project reference; check every C# line of the README's Quick start and of the package readmes is in it;
#   3. build and run it: it checks each package (metadata, readme, docs, symbols with SourceLink to this commit) and
#      runs the Quick start, the test kit's sample and its standby sample against a throwaway PostgreSQL (DapperTenants.Testing's server);
#   4. install the tool from the same feed with `dotnet tool install --tool-path` and run `dapper-tenants demo`.
# Usage: bash .ci/package-smoke/run.sh   (prints its steps with elapsed seconds; exits non-zero on the first failure)
# Restores use a fresh NuGet packages folder, so a package packed again under the same version is never taken stale
# from the machine's cache.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here="$repo/.ci/package-smoke"
work=$(mktemp -d "${TMPDIR:-/tmp}/dapper-tenants-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
feed="$work/feed"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
step() { printf '[%3ds] %s\n' "$SECONDS" "$*"; }
fail() { echo "package smoke test FAILED: $*" >&2; exit 1; }

version=$(dotnet msbuild "$repo/src/DapperTenants/DapperTenants.csproj" -nologo -getProperty:Version)
commit=$(git -C "$repo" rev-parse HEAD)
step "pack version $version of commit $commit into $feed"
if ! dotnet pack "$repo/DapperTenants.sln" -c Release -o "$feed" > "$work/pack.log" 2>&1; then
  cat "$work/pack.log"
  fail "dotnet pack failed (log above)"
fi
if grep -E ': warning [A-Z]*[0-9]*' "$work/pack.log"; then
  fail "dotnet pack printed the warnings above"
fi
for project in "$repo"/src/*/*.csproj; do
  id=$(basename "$project" .csproj)
  for extension in nupkg snupkg; do
    [ -f "$feed/$id.$version.$extension" ] || fail "src/$id did not pack into $id.$version.$extension"
  done
done
ls "$feed" | sed 's/^/  /'

step "check the README's Quick start and the package readmes are the smoke project's code"
normalize() { sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//; s/[[:space:]]+/ /g' | grep -v '^$' || true; }
cat "$here"/app/*.cs | normalize | sort -u > "$work/code.txt"
{
  awk '/^## /{ quick = ($0 == "## Quick start") } quick && /^```/{ block = ($0 == "```csharp"); next } quick && block' "$repo/README.md"
  for readme in "$repo"/src/*/README.md; do
    awk '/^```/{ block = ($0 == "```csharp"); next } block' "$readme"
  done
} | normalize > "$work/readme.txt"
[ -s "$work/readme.txt" ] || fail "no C# line found in the README's Quick start"
missing=$(grep -vxF -f "$work/code.txt" "$work/readme.txt" || true)
[ -z "$missing" ] || fail "README lines not in .ci/package-smoke/app:"$'\n'"$missing"

step "build a fresh console project outside the repository against the packages"
cp -r "$here/app" "$work/app"
if ! NUGET_PACKAGES="$work/packages" dotnet build "$work/app/PackageSmoke.csproj" -c Release -p:DapperTenantsVersion="$version" > "$work/build.log" 2>&1; then
  cat "$work/build.log"
  fail "the console project did not build against the packages (log above)"
fi
for id in DapperTenants DapperTenants.Testing; do
  lower=$(echo "$id" | tr '[:upper:]' '[:lower:]')
  grep -qF "\"source\": \"$feed" "$work/packages/$lower/$version/.nupkg.metadata" \
    || fail "$id $version was not restored from the local feed: $(cat "$work/packages/$lower/$version/.nupkg.metadata" 2>/dev/null)"
done

step "run it: package checks, the Quick start and the test kit sample against a throwaway PostgreSQL"
dotnet "$work/app/bin/Release/net10.0/PackageSmoke.dll" "$feed" "$version" "$commit" || fail "the console project's checks failed (output above)"

step "install the tool from the feed and run 'dapper-tenants demo'"
if ! NUGET_PACKAGES="$work/packages" dotnet tool install --tool-path "$work/tools" --configfile "$work/app/nuget.config" \
    DapperTenants.Cli --version "$version" > "$work/tool.log" 2>&1; then
  cat "$work/tool.log"
  fail "dotnet tool install failed (log above)"
fi
"$work/tools/dapper-tenants" demo > "$work/demo.log" 2>&1 || { cat "$work/demo.log"; fail "dapper-tenants demo failed (output above)"; }
tail -3 "$work/demo.log" | sed 's/^/  /'
echo "package smoke test passed in ${SECONDS} s: $(cd "$feed" && ls *.nupkg | sed 's/\.nupkg$//' | tr '\n' ' ')"

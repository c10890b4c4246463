#!/usr/bin/env bash
# The embedder's path (issue 8 item 2; samples/EmbeddedNotes). In a temporary copy of the sample outside the
# repository, with the local feed (artifacts/feed) as the only source of AlignTrue.* packages: build the sample
# (a plain ASP.NET Core app that adds the kernel and the notes pack with AddOps), run it on 127.0.0.1 on a free
# port, create a note through its own POST endpoint and read it back through its own GET endpoint.
#
#   build/embedder-sample.sh                 pack the solution (building what is needed), then build and run the sample
#   OPS_REUSE_FEED=1 build/embedder-sample.sh   use artifacts/feed as it is when it holds the packages (CI: right after build/pack-author-path.sh)
#   OPS_KEEP=1 ...                           keep the temporary folder for a look afterwards
set -euo pipefail
source "$(dirname "$0")/local-feed-config.sh"
repo=$(cd "$(dirname "$0")/.." && pwd)
feed="$repo/artifacts/feed"
configuration=${OPS_CONFIGURATION:-Debug}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

work=$(mktemp -d "${TMPDIR:-/tmp}/ops-embedder-XXXXXX")
app_pid=
cleanup() {
  if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null || true; wait "$app_pid" 2>/dev/null || true; fi
  if [ "${OPS_KEEP:-}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
case "$work" in "$repo"/*) echo "the temporary folder $work is inside the repository"; exit 1;; esac
started=$SECONDS
step() { printf -- '-- %s (%ss)\n' "$*" "$((SECONDS - started))"; }

version=$(sed -n 's/.*<VersionPrefix>\(.*\)<\/VersionPrefix>.*/\1/p' "$repo/Directory.Build.props")
needed=("AlignTrue.Ops.Core.$version.nupkg" "AlignTrue.Ops.Storage.Sqlite.$version.nupkg" "AlignTrue.Ops.Packs.Notes.1.0.0.nupkg" "AlignTrue.Ops.Packs.Notes.Contracts.1.0.0.nupkg")
have_feed=1
for file in "${needed[@]}"; do [ -f "$feed/$file" ] || have_feed=0; done
if [ "${OPS_REUSE_FEED:-}" = 1 ] && [ "$have_feed" = 1 ]; then
  step "reusing the packages in $feed"
else
  step "packages into $feed"
  dotnet pack "$repo/AlignTrue.sln" -c "$configuration" --nologo -v quiet
fi
for file in "${needed[@]}"; do [ -f "$feed/$file" ] || { echo "missing $feed/$file"; ls "$feed"; exit 1; }; done

step "a copy of samples/EmbeddedNotes in $work, AlignTrue.* from the local feed only"
cp -r "$repo/samples/EmbeddedNotes" "$work/EmbeddedNotes"
rm -rf "$work/EmbeddedNotes/bin" "$work/EmbeddedNotes/obj" "$work/EmbeddedNotes/data"
write_local_feed_config "$work" "$feed"

step "dotnet build (restore from the feed)"
app="$work/EmbeddedNotes"
( cd "$app" && dotnet build --nologo -v quiet -c Release 2>&1 | tee "$work/build.log" | grep -E "error|Warn|Elapsed" ) || { cat "$work/build.log"; exit 1; }
if grep -rl --include=project.assets.json -e "$repo/src" -e "$repo/packs" -e "$repo/tests" "$app/obj"; then echo "the sample references the checkout"; exit 1; fi
grep -q '"AlignTrue.Ops.Core/' "$app/obj/project.assets.json" || { echo "the sample did not restore AlignTrue.Ops.Core as a package"; exit 1; }
# Issue 21 item 1: an embedder on SQLite restores no other engine's stack.
if grep -oE '"(Npgsql[A-Za-z.]*|Microsoft\.Data\.SqlClient[A-Za-z.]*|Microsoft\.EntityFrameworkCore\.SqlServer|AlignTrue\.Ops\.Storage\.(PostgreSQL|SqlServer))/' "$app/obj/project.assets.json" | sort -u | grep .; then
  echo "the SQLite-only sample restored another engine's packages (above)"; exit 1
fi
ls "$app/bin/Release/net10.0" | grep -E '^(Npgsql|Microsoft\.Data\.SqlClient|Ops\.Storage\.(PostgreSQL|SqlServer))' && { echo "the sample's output holds another engine's assemblies (above)"; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)))
step "run it on http://127.0.0.1:$port"
( cd "$app" && exec dotnet "bin/Release/net10.0/EmbeddedNotes.dll" --urls "http://127.0.0.1:$port" ) >"$work/app.log" 2>&1 &
app_pid=$!
up=0
for _ in $(seq 1 120); do
  # Any answer from Kestrel means it listens (the sample maps no root route).
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then up=1; break; fi
  kill -0 "$app_pid" 2>/dev/null || break
  sleep 0.5
done
[ "$up" = 1 ] || { echo "the sample did not start:"; cat "$work/app.log"; exit 1; }

step "command: POST /notes (propose, consent, commit through ICommandGateway)"
created=$(curl -fsS -H 'Content-Type: application/json' -d '{"title":"Embedded","content":"Hello from an embedder"}' "http://127.0.0.1:$port/notes") || { cat "$work/app.log"; exit 1; }
echo "   $created"
note_id=$(printf '%s' "$created" | sed -n 's/.*"note_id":"\([0-9a-f]\{32\}\)".*/\1/p')
[ -n "$note_id" ] || { echo "the command did not return a note id"; exit 1; }

step "query: GET /notes/$note_id (OpsRuntime.QueryAsync)"
answer=$(curl -fsS "http://127.0.0.1:$port/notes/$note_id") || { cat "$work/app.log"; exit 1; }
echo "   $answer"
case "$answer" in *"\"noteId\":\"$note_id\""*'"title":"Embedded"'*'"content":"Hello from an embedder"'*) ;; *) echo "the query did not return the note"; exit 1;; esac
missing=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/notes/00000000000000000000000000000000")
[ "$missing" = 404 ] || { echo "an unknown note answered $missing, not 404"; exit 1; }

echo "embedder's path: packages, build, run, command and query passed in $((SECONDS - started))s"

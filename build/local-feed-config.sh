#!/usr/bin/env bash
# Sourced by build/pack-author-path.sh and build/embedder-sample.sh: writes <work>/nuget.config so that AlignTrue.*
# restore from the local feed only and everything else from the machine's configured sources.
# Usage: write_local_feed_config <work folder> <feed folder>
write_local_feed_config() {
  local work=$1 feed=$2 name
  # The machine's enabled sources, by name, as seen from a folder with no nuget.config of its own.
  mkdir -p "$work/probe"
  local -a sources
  mapfile -t sources < <(cd "$work/probe" && dotnet nuget list source --format detailed | sed -n 's/^ *[0-9][0-9]*\. *\(.*\) \[Enabled\]$/\1/p')
  [ "${#sources[@]}" -gt 0 ] || { echo "no enabled NuGet source is configured on this machine"; return 1; }
  {
    echo '<?xml version="1.0" encoding="utf-8"?>'
    echo '<configuration>'
    # A private package cache: AlignTrue.* of this run never mix with an earlier build of the same version.
    # The machine's cache stays a read-only fallback for third-party packages, so nothing is downloaded twice.
    echo "  <config><add key=\"globalPackagesFolder\" value=\"$work/packages\" /></config>"
    echo "  <fallbackPackageFolders><add key=\"machine\" value=\"${NUGET_PACKAGES:-$HOME/.nuget/packages}\" /></fallbackPackageFolders>"
    echo "  <packageSources><add key=\"aligntrue-local\" value=\"$feed\" /></packageSources>"
    echo '  <packageSourceMapping>'
    echo '    <packageSource key="aligntrue-local"><package pattern="AlignTrue.*" /></packageSource>'
    for name in "${sources[@]}"; do echo "    <packageSource key=\"$name\"><package pattern=\"*\" /></packageSource>"; done
    echo '  </packageSourceMapping>'
    echo '</configuration>'
  } > "$work/nuget.config"
}

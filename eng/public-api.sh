#!/usr/bin/env bash
# Brings a library's PublicAPI.Unshipped.txt up to date with its code: adds the public symbols the analyzer reports
# as undeclared (RS0016) and drops the declared ones that are gone (RS0017). Review the diff: every line is public
# surface a user can depend on.
#
#   eng/public-api.sh src/Tether.Client/Tether.Client.csproj [more projects...]
#
# Turning tracking on for a project that had it off: remove <TetherTrackPublicApi>false</TetherTrackPublicApi> from
# its .csproj, run this script on it, then document whatever CS1591 names.
#
# At a release, move the lines of every Unshipped file into its Shipped file (keeping "#nullable enable" on top of
# both); from then on, removing or changing one of them is a breaking change the analyzer reports.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -gt 0 ] || { sed -n '2,12p' "$0"; exit 2; }

for project in "$@"; do
  dir="$(dirname "$project")"
  for file in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
    [ -f "$dir/$file" ] || printf '#nullable enable\n' > "$dir/$file"
  done

  # The analyzer's own code fix, for symbols declared in source.
  dotnet format analyzers "$project" --diagnostics RS0016 --severity info

  # Two things the code fix does not reach are taken from a build's messages, whose symbol text is the file's line:
  # symbols of source generators (the JSON context's properties), added (RS0016), and symbols that are gone,
  # removed (RS0017, reported on the text file rather than on code).
  dotnet build "$project" -v q -nologo >/dev/null 2>&1 || true
  log="$(mktemp)"
  dotnet build "$project" --no-incremental -p:BuildProjectReferences=false -v q -nologo >"$log" 2>&1 || true
  grep -o "RS0017: Symbol '.*' is part of the declared API, but is either not public or could not be found" "$log" \
    | sed -e "s/^RS0017: Symbol '//" -e "s/' is part of the declared API, but is either not public or could not be found$//" \
    | sort -u > "$log.gone" || true
  { sed -n '2,$p' "$dir/PublicAPI.Unshipped.txt" | grep -vxF -f "$log.gone"
    grep -o "RS0016: Symbol '.*' is not part of the declared public API" "$log" \
      | sed -e "s/^RS0016: Symbol '//" -e "s/' is not part of the declared public API$//"
  } | LC_ALL=C sort -u > "$log.lines" || true
  { echo '#nullable enable'; cat "$log.lines"; } > "$dir/PublicAPI.Unshipped.txt"
  rm -f "$log" "$log.gone" "$log.lines"
  echo "$dir/PublicAPI.Unshipped.txt: $(($(wc -l < "$dir/PublicAPI.Unshipped.txt") - 1)) symbols"
done

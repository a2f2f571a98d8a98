#!/usr/bin/env bash
# Runs every test project and prints one closing line: "tests: N passed, N failed, N skipped".
# Test projects run one after another: the integration fixtures start real servers on loopback and
# this machine has two cores.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
config=${1:-Release}; shift || true
results="$root/.build/test-results"
rm -rf "$results"; mkdir -p "$results"
passed=0 failed=0 skipped=0 status=0
for proj in "$root"/tests/*/*.csproj; do
  name=$(basename "$proj" .csproj)
  echo "== $name" >&2
  log="$results/$name.log"
  dotnet test "$proj" -c "$config" --no-build --nologo --logger "trx;LogFileName=$name.trx" \
    --results-directory "$results" "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  trx="$results/$name.trx"
  if [ -f "$trx" ]; then
    read -r p f s < <(/usr/bin/python3 - "$trx" <<'PY'
import sys, xml.etree.ElementTree as ET
ns={'t':'http://microsoft.com/schemas/VisualStudio/TeamTest/2010'}
c=ET.parse(sys.argv[1]).getroot().find('t:ResultSummary/t:Counters',ns)
a=lambda k:int(c.get(k,0))
print(a('passed'), a('failed')+a('error')+a('timeout')+a('aborted'), a('notExecuted'))
PY
)
    passed=$((passed+p)); failed=$((failed+f)); skipped=$((skipped+s))
  else
    echo "error: $name produced no results (exit $rc)" >&2; failed=$((failed+1))
  fi
  [ "$rc" = 0 ] || status=1
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$status" = 0 ]

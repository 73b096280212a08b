#!/usr/bin/env bash
# Rules dependency-cruiser cannot express: environment read in one place, file size limits.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
if grep -rn "process\.env" shared client server --include='*.ts' | grep -v '^shared/env\.ts:' | grep -v '^shared/gen/'; then
  echo "layout: process.env is read only in shared/env.ts" >&2
  status=1
fi
while IFS= read -r file; do
  lines=$(wc -l < "$file")
  if [ "$lines" -gt 400 ]; then
    echo "layout: $file has $lines lines; split files over 400 lines" >&2
    status=1
  fi
done < <(find shared client server bench -name '*.ts' -not -path 'shared/gen/*')
exit $status

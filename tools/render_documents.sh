#!/usr/bin/env bash
# Regenerate the rendered first pages in docs/screenshots/ from a real month of sandbox work:
# the sandbox plays tools/sandbox_month.txt (seed plan 001, work handed in and accepted, the
# clock moved to 1 December 2020), the command line writes the Word reports from the sandbox's
# database (on the sandbox's clock), LibreOffice and poppler render them. A developer's tool:
#   sudo apt-get install libreoffice-writer-nogui poppler-utils
#   tools/render_documents.sh            (from the repository's root, the venv active)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
python -m bot sandbox --db "$work/sandbox.sqlite3" --script tools/sandbox_month.txt >"$work/sandbox.log"
export DATABASE_URL="sqlite+aiosqlite:///$work/sandbox.sqlite3"
python -m bot report 1 --out "$work/report.docx" >/dev/null
python -m bot report 1 --aggregate --out "$work/summary.docx" >/dev/null
for name in report summary; do
  tools/render_docx_page.sh "$work/$name.docx" "docs/screenshots/$name-docx-page1.png"
done

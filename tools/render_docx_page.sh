#!/usr/bin/env bash
# Render the first page of a .docx to PNG with Debian's LibreOffice and poppler:
#   sudo apt-get install libreoffice-writer-nogui poppler-utils
#   tools/render_docx_page.sh report.docx docs/screenshots/report-docx.png [PAGE]
set -euo pipefail
docx=$1 png=$2 page=${3:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
soffice --headless --norestore "-env:UserInstallation=file://$work/profile" \
  --convert-to pdf --outdir "$work" "$docx" >/dev/null
pdftoppm -png -r 70 -f "$page" -l "$page" -singlefile "$work/$(basename "${docx%.*}").pdf" "${png%.png}"
echo "written $png"

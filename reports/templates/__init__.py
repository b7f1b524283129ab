"""The default DOCX report template (report.docx) and the script that makes it (build.py)."""

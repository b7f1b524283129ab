"""Reports built from the database: the XLSX plan report (and the progress chart)."""

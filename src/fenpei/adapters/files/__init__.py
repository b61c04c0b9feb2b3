"""Reading and writing the files people exchange with fenpei (CSV, Excel)."""

"""Pure routing engine: data in, decision out. No sessions, no clocks, no globals."""

"""The public pool (公海): pools' terms (``terms``), claim, return and push (``claims``),
what waits in a pool and masking its contacts on every read (``listing``), and moving
customers between pools (``moves``)."""

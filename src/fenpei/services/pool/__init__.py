"""The public pool (公海): pools' terms (``terms``), claim, return and push (``claims``),
and what waits in a pool (``listing``)."""

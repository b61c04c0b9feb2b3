"""Duplicates in bulk and merge (查重合并): scan, review, merge, undo."""

"""Exports (导出): customers as the list shows them, history, tasks and reports, to CSV and
Excel, a batch at a time, within the exporter's data scope, every export audited."""

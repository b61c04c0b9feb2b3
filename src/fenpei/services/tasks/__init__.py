"""Tasks (任务): created, routed by the engine, worked, reminded, chased and rated.

- ``records``: create a task, give it to a rep by hand, its history lines;
- ``workflow``: status, progress, checklist, comments (@mentions), completion and rating;
- ``events``: what a task change writes to the outbox.
"""

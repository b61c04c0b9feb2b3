"""Server-rendered pages (Jinja2), zh-CN and en; no build step, no external assets."""

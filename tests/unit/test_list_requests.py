"""A list page's requests (filters, sort, pages, page size) replace one another: the latest
click wins. Without one sync point, a filter's answer arriving after a later page's answer
would put the older list back under the newer URL (found by a browser test on CI: page 2 in
the address bar, page 1 on the screen)."""

from __future__ import annotations

import re
from collections import defaultdict

from fenpei.web.rendering import TEMPLATES_DIR

TAG = re.compile(r"<(?:a|form|select|input|button|div)\b[^>]*\bhx-get=[^>]*>", re.S)
TARGET = re.compile(r'hx-target="(#[\w-]+-results)"')
SYNC = re.compile(r'hx-sync="(#[\w-]+):replace"')


def test_every_request_that_swaps_a_list_syncs_on_that_list_s_filters() -> None:
    syncs: dict[str, set[str | None]] = defaultdict(set)
    for template in TEMPLATES_DIR.rglob("*.html"):
        text = template.read_text()
        for tag in TAG.findall(text):
            target = TARGET.search(tag)
            if target is None:
                continue
            sync = SYNC.search(tag)
            syncs[target.group(1)].add(sync.group(1) if sync else None)
            assert sync is not None, f"{template.name}: {tag}"
            assert f'id="{sync.group(1)[1:]}"' in _all_templates(), sync.group(1)

    assert {"#customer-results", "#pool-results", "#task-results"} <= set(syncs)  # the scan works
    assert all(len(points) == 1 for points in syncs.values()), syncs


def _all_templates() -> str:
    return "".join(path.read_text() for path in TEMPLATES_DIR.rglob("*.html"))

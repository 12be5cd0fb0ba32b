"""A real headless browser (Playwright driving Debian's chromium-headless-shell) on the HTML
report: what a person sees there must be what the JSON says.

`make test` installs the browser when it can (tools/ensure_browser.py). Where it cannot, the
tests that need it say so plainly: they fail in CI (CI=true), and skip elsewhere.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fleet_report import (
    STATUSES as STATUS_KEYS,
)

BROWSERS = ("chromium-headless-shell", "chromium")
MISSING = (
    "the HTML report tests need a Chromium browser and none is installed "
    f"(looked for {', '.join(BROWSERS)} on PATH); install it with "
    "`apt-get install -y chromium-headless-shell` (as root), or run `make test`, which does so "
    "when it runs as root"
)


def browser_path() -> str:
    """The browser to drive; fails in CI and skips elsewhere when there is none."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(MISSING)
    pytest.skip(MISSING)


@contextmanager
def opened(html_file: Path, screenshot: Path | None = None):
    """The page, loaded, with every console message, page error and request it caused."""
    from playwright.sync_api import sync_playwright

    seen = {"console": [], "errors": [], "requests": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: seen["console"].append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: seen["errors"].append(str(e)))
            page.on("request", lambda r: seen["requests"].append(r.url))
            page.goto(html_file.resolve().as_uri())
            page.wait_for_load_state("load")
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=True)
            yield page, seen
        finally:
            browser.close()


def visible_statuses(page) -> list[str]:
    return page.eval_on_selector_all(
        "#host-table tbody tr",
        "rows => rows.filter(r => r.offsetParent !== null).map(r => r.dataset.status)",
    )


def check_page(html_file: Path, report: dict) -> None:
    """Loads cleanly and offline; totals, chart and filter agree with the JSON report."""
    with opened(html_file) as (page, seen):
        assert seen["errors"] == [], seen["errors"]
        assert seen["console"] == [], f"console messages: {seen['console']}"
        assert seen["requests"] == [html_file.resolve().as_uri()], (
            f"the page requested more than itself: {seen['requests']}"
        )
        summary = report["summary"]
        for key in ("hosts", "audited", *(s for s in STATUS_KEYS)):
            assert page.inner_text(f"#count-{key}") == str(summary[key]), key

        # The chart: per setting, the hosts that do not drift in it, of the hosts audited.
        bars = page.eval_on_selector_all(
            "#settings-chart g.bar",
            "bars => bars.map(b => [b.dataset.setting,"
            " b.querySelector('text.bar-label').textContent])",
        )
        assert bars, "the chart has bars"
        for setting, label in bars:
            drifting = (summary["settings"].get(setting) or {}).get("hosts", 0)
            assert label == f"{summary['audited'] - drifting}/{summary['audited']}", setting

        # The filter: every status shows exactly its hosts, "all" shows them all.
        assert len(visible_statuses(page)) == summary["hosts"]
        present = [s for s in STATUS_KEYS if summary[s]]
        for status in present:
            page.select_option("#status-filter", status)
            shown = visible_statuses(page)
            assert shown == [status] * summary[status], (status, shown)
            assert page.inner_text("#hosts-shown") == str(summary[status])
        page.select_option("#status-filter", "all")
        assert page.inner_text("#hosts-shown") == str(summary["hosts"])

        # Each host with drift shows one evidence row per drift item of the JSON.
        for record in report["hosts"]:
            if record["drift"]:
                rows = page.locator(f'details.host-detail[data-host="{record["host"]}"] tbody tr')
                assert rows.count() == len(record["drift"]), record["host"]

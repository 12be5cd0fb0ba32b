"""The examples of docs/guides/audit.md and the screenshot of docs/audit-report.md, taken from
a real audit of a small lab fleet, so that the guide shows what the audit really prints and
writes.

    <venv>/bin/python tools/audit_guide_examples.py            # rewrite the examples
    <venv>/bin/python tools/audit_guide_examples.py --check    # exit 1 if they differ

The guide holds each example between `<!-- audit-example: NAME -->` and
`<!-- /audit-example -->`; everything else in it is left alone. The parts of a run that
change from run to run (the time, the report directory) are written as placeholders.
tests/e2e/test_audit_guide_examples.py runs the same audit and compares.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tools")]
from link_collection import link  # noqa: E402

from bench.playbook_run import ansible_env, run_playbook  # noqa: E402

GUIDE = REPO / "docs" / "guides" / "audit.md"
SCREENSHOT = REPO / "docs" / "images" / "audit-report.png"
STANDARD = REPO / "examples" / "lab" / "hosts.yml"
# One host per kind of outcome the guide explains; the host names follow (ws001...).
PROFILES = ["compliant", "drift-permission", "drift-dcom", "gpo-conflict", "workgroup"]
TIME = "<time>"
REPORT_DIR = "<reports>"
START = re.compile(r"<!-- audit-example: ([a-z-]+) -->\n")
END = "<!-- /audit-example -->"


def _normalised(text: str, report_dir: Path, generated_at: str) -> str:
    return text.replace(str(report_dir), REPORT_DIR).replace(generated_at, TIME)


# The audit's own verdicts on hosts (its last two tasks), not the failures it rescued.
GATES = ("the audit could not look at this host", "this host is not compliant")


def _console(output: str) -> list[str]:
    """What the audit says about the fleet: its totals, then each host it fails and why."""
    totals, verdicts = [], []
    for line in output.splitlines():
        if line.startswith("fatal: [") and any(gate in line for gate in GATES):
            host = line.split("[", 1)[1].split("]", 1)[0]
            message = json.loads(line.split("=> ", 1)[1])["msg"]
            verdicts.append(f"fatal: [{host}]: FAILED! => {message}")
        elif line.strip().startswith('"msg": "') and " hosts: " in line:
            totals.append(json.loads("{" + line.strip() + "}")["msg"])
    return totals + verdicts


def run_audit(workdir: Path) -> tuple[dict[str, str], Path]:
    """Start the lab, audit it, stop it: the examples by name, and the HTML report's path."""
    from winra_lab.lab import Lab

    link(REPO)
    report_dir = workdir / "reports"
    lab = Lab(hosts=len(PROFILES), profiles=PROFILES, inventory_path=workdir / "inventory.ini")
    lab.start()
    try:
        run = run_playbook(
            REPO / "playbooks" / "audit.yml",
            [STANDARD, workdir / "inventory.ini"],
            ansible_env([REPO / "collections"]),
            workdir / "audit.log",
            extra_args=["-e", json.dumps({"winra_audit_report_dir": str(report_dir)})],
        )
    finally:
        lab.stop()
    report_file = report_dir / "fleet-report.json"
    if not report_file.exists():
        raise SystemExit(f"the audit wrote no report; see {workdir / 'audit.log'}")
    report = json.loads(report_file.read_text(encoding="utf-8"))
    stamp = report["generated_at"]
    drifted = next(r for r in report["hosts"] if r["status"] == "drifted")
    examples = {
        "exit-status": f"$ echo $?\n{run.returncode}",
        "console": "\n".join(_console(run.log.read_text(encoding="utf-8"))),
        "markdown": (report_dir / "fleet-report.md").read_text(encoding="utf-8").rstrip("\n"),
        "host-record": json.dumps(drifted, indent=2, ensure_ascii=False),
        "summary": json.dumps(report["summary"], indent=2),
    }
    normalised = {name: _normalised(text, report_dir, stamp) for name, text in examples.items()}
    return normalised, report_dir / "fleet-report.html"


def blocks(text: str) -> dict[str, str]:
    """The examples a guide holds, by name (the text between the markers, fences included)."""
    found = {}
    for match in START.finditer(text):
        end = text.index(END, match.end())
        found[match.group(1)] = text[match.end() : end]
    return found


def fenced(name: str, example: str) -> str:
    language = {"host-record": "json", "summary": "json", "markdown": "markdown"}.get(name, "text")
    return f"```{language}\n{example}\n```\n"


def with_examples(text: str, examples: dict[str, str]) -> str:
    """The guide with every marked example replaced; a marker without an example is an error."""

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in examples:
            raise SystemExit(f"{GUIDE.name}: no example called {name!r}")
        return match.group(0) + fenced(name, examples[name])

    pattern = re.compile(START.pattern + r".*?" + re.escape(END), re.S)
    return pattern.sub(lambda m: replace(START.match(m.group(0))) + END, text)


def screenshot(html_file: Path, target: Path) -> None:
    """The HTML report as the browser of the report tests renders it."""
    import shutil

    from playwright.sync_api import sync_playwright

    browser_path = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    if not browser_path:
        raise SystemExit("no chromium-headless-shell on PATH: `make browser` installs it")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(html_file.resolve().as_uri())
            page.screenshot(path=str(target), full_page=True)
        finally:
            browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="winra-guide-") as tmp:
        examples, html_file = run_audit(Path(tmp))
        current = GUIDE.read_text(encoding="utf-8")
        wanted = with_examples(current, examples)
        if args.check:
            if wanted != current:
                print(f"{GUIDE} differs from a real audit: run tools/audit_guide_examples.py")
                return 1
            return 0
        GUIDE.write_text(wanted, encoding="utf-8")
        screenshot(html_file, SCREENSHOT)
    print(f"wrote the examples of {GUIDE.relative_to(REPO)} and {SCREENSHOT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

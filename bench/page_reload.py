"""How long a browser reload of a summarized run takes, and how many elements the page draws.

The app runs under ``streamlit run`` on a free loopback port; Debian's Chromium (Playwright) uploads a
corpus paper (default astropy-v5-paper.pdf: 43 pages, ~100 bullets with the extractive backend),
summarizes it, then reloads the page ``--runs`` times. A reload is timed from ``page.reload()`` until
the restored run is drawn again: the download button and every page mark of the summary are on the
page, and two animation frames have passed (so the browser has laid the page out). Printed: the
median and the slowest reload, the page's element count, its buttons, and the summary's page marks.

``--app`` runs another checkout's app.py (e.g. a ``git worktree`` of an older commit) for comparison.
Issue #24: before the summary view drew one Markdown block per section, this reload took 9–13 s for
~6,000 elements and 194 buttons; the target is under 3 s. Measured 2026-12-06 on the shared 2-core
machine (load average ~7, so absolute times are pessimistic), astropy-v5-paper.pdf, 98 marks, 5 reloads:

    commit 1eec609 (a button per mark):   median 6.34 s, slowest 7.64 s · 4,699 elements, 354 buttons
    one Markdown block per section:       median 2.31 s, slowest 2.55 s · 1,935 elements, 155 buttons

Most buttons left are the rating panel's stars (28 × 5), drawn inside its collapsed expander.

Run: python bench/page_reload.py [--paper PATH] [--runs 5] [--app PATH/TO/app.py]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAPER = ROOT.parent / "shared" / "corpus" / "papers" / "astropy-v5-paper.pdf"
CHROMIUM = "/usr/bin/chromium"
DRAWN = """([marks]) => {
    const found = document.querySelectorAll('a[href^="#pm-"]').length
        || document.querySelectorAll('button p').length;  // the older view: a button per mark
    const download = [...document.querySelectorAll('button')].some(b => b.innerText.includes('Download Markdown'));
    return download && found >= marks;
}"""
FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"
COUNTS = """() => ({elements: document.querySelectorAll('*').length, buttons: document.querySelectorAll('button').length,
                   marks: document.querySelectorAll('a[href^="#pm-"]').length})"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(app: Path, home: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "SUMMARIZER_HOME": str(home), "PYTHONPATH": str(app.parent)}
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SUMMARIZER_BACKEND"):
        env.pop(var, None)
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--browser.gatherUsageStats", "false"],
                            cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("streamlit did not start")


def _summarize(page, url: str, paper: Path) -> None:
    page.goto(url)
    page.get_by_text("Upload a paper or paste an article").first.wait_for(timeout=90_000)
    page.locator("input[type=file]").first.set_input_files(str(paper))
    page.get_by_text("Sections found").first.wait_for(timeout=180_000)
    page.get_by_role("button", name="Summarize").click()
    page.get_by_text("Download Markdown").first.wait_for(timeout=300_000)
    page.wait_for_timeout(3_000)  # the run is saved to History as it finishes


def _bullets(paper: Path) -> int:
    """The page marks a full drawing of the run shows (the library's own count, same backend)."""
    import summarizer

    result = summarizer.summarize(summarizer.load(str(paper)))
    return sum(1 for r in result.sections for b in r.bullets if b.found and b.pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paper", type=Path, default=PAPER)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--app", type=Path, default=ROOT / "app.py")
    args = parser.parse_args()
    if not args.paper.exists():
        raise SystemExit(f"no paper at {args.paper} (the shared corpus is needed)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SUMMARIZER_HOME"] = str(Path(tmp) / "lib")
        marks = _bullets(args.paper)
        proc, url = _start(args.app.resolve(), Path(tmp))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox",
                                                                             "--disable-gpu"])
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                _summarize(page, url, args.paper)
                times = []
                for _ in range(args.runs):
                    start = time.perf_counter()
                    page.reload(wait_until="commit")
                    page.wait_for_function(DRAWN, arg=[marks], timeout=120_000, polling="raf")
                    page.evaluate(FRAMES)
                    times.append(time.perf_counter() - start)
                counts = page.evaluate(COUNTS)
                if os.environ.get("BENCH_DEBUG"):  # which elements and buttons the page holds
                    print(page.evaluate("""() => { const c = {}; document.querySelectorAll('button').forEach(b => {
                        const k = (b.closest('[data-testid]') || b).getAttribute('data-testid') + ' ' + (b.getAttribute('data-testid')||'');
                        c[k] = (c[k] || 0) + 1; }); return c; }"""))
                    print(page.evaluate("""() => { const c = {}; document.querySelectorAll('[data-testid^="st"]').forEach(b => {
                        const k = b.getAttribute('data-testid'); c[k] = (c[k] || 0) + 1; }); return c; }"""))
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    print(f"paper: {args.paper.name} · app: {args.app} · {marks} page marks expected")
    print(f"reload: median {statistics.median(times):.2f} s, slowest {max(times):.2f} s over {len(times)} reloads "
          f"({', '.join(f'{t:.2f}' for t in times)})")
    print(f"page: {counts['elements']:,} elements, {counts['buttons']} buttons, {counts['marks']} page-mark links")


if __name__ == "__main__":
    main()

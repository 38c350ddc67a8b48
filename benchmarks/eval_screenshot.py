"""Screenshot the `prreview eval` HTML report in headless Chromium (a visual check).

    python benchmarks/eval_screenshot.py results.json --out benchmarks/out/eval.png
    python benchmarks/eval_screenshot.py report.html --out benchmarks/out/eval.png

A results.json is rendered with prreview.eval.render first. Chromium runs with a throw-away
profile, no network services and no sandbox (for containers); the page itself loads nothing.
Needs `chromium` (Debian: apt-get install chromium) or `chromium-browser` on PATH.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prreview.eval.render import load_results, render_html

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def find_browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("no chromium on PATH (Debian: apt-get install chromium)")


def screenshot(html: Path, out: Path, width: int, height: int, browser: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="prreview-chromium-") as profile:
        cmd = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--screenshot={out.resolve()}",
            f"--window-size={width},{height}",
            html.resolve().as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0 or not out.is_file():
        raise SystemExit(f"chromium failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path, help="results.json or an HTML report")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/eval.png"))
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=1600)
    args = parser.parse_args(argv)
    browser = find_browser()
    with tempfile.TemporaryDirectory(prefix="prreview-eval-html-") as tmp:
        html = args.source
        if args.source.suffix == ".json":
            html = Path(tmp) / "report.html"
            html.write_text(render_html(load_results(args.source)), encoding="utf-8")
        screenshot(html, args.out, args.width, args.height, browser)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

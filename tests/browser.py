"""Render a page in headless Chromium and measure it: a helper for the HTML report's tests.

`measure(page)` copies the page, adds a script that writes its measurements into the DOM once the page
has loaded, and reads them back from Chromium's --dump-dom: the page's scroll width against its client
width, the bottom of the gate header against the window's height, and for each chart (an `<img>` in a
`figure.chart`) its drawn size, how many of its pixels are not white (drawn on a canvas), its caption's
text and the rows its caption lists as below the in-set floor (`ul.below-floor`, as rendered). Chromium
runs with the flags that keep it off the network (no background, component or sync connections).

Chromium is the Debian package `chromium`; `chromium_or_fail()` says how to install it when it is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

INSTALL = "apt-get install -y chromium (as root; bash scripts/test.sh installs it when missing)"
OPT_OUT = "WORLDPRIOR_SKIP_BROWSER"  # set to 1 to skip the browser checks on a machine without chromium (never in CI)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars")

_PROBE = """
<script>
window.addEventListener('load', () => {
  const root = document.documentElement, gate = document.getElementById('gate');
  const charts = [...document.querySelectorAll('figure.chart img')].map(img => {
    const box = img.getBoundingClientRect(), canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
    let ink = 0;
    if (canvas.width && canvas.height) {
      const context = canvas.getContext('2d');
      context.drawImage(img, 0, 0);
      const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < data.length; i += 4)
        if (data[i + 3] > 0 && (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235)) ink++;
    }
    const figure = img.closest('figure'), caption = figure ? figure.querySelector('figcaption') : null;
    const below_floor = figure ? [...figure.querySelectorAll('ul.below-floor li')].map(li => li.innerText) : [];
    return {alt: img.alt, width: box.width, height: box.height, natural: img.naturalWidth, natural_height: img.naturalHeight, ink,
            caption: caption ? caption.innerText : null, below_floor};
  });
  const out = document.createElement('script');
  out.type = 'application/json'; out.id = 'measurements';
  out.textContent = JSON.stringify({scroll_width: root.scrollWidth, client_width: root.clientWidth,
    window_height: window.innerHeight, gate_bottom: gate ? gate.getBoundingClientRect().bottom : null,
    gate_text: gate ? gate.innerText : null, charts});
  document.body.appendChild(out);
});
</script>
"""


def chromium_or_fail() -> str:
    """The chromium executable. Missing: a failure that names the install command, or a skip where the
    developer set WORLDPRIOR_SKIP_BROWSER=1 outside CI (the CI variable unset)."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.environ.get(OPT_OUT) == "1" and not os.environ.get("CI"):
        pytest.skip(f"chromium is not installed and {OPT_OUT}=1: the browser checks did not run; {INSTALL}")
    pytest.fail(f"the HTML report's browser checks need chromium, which is not installed: {INSTALL}. "
                f"Outside CI, {OPT_OUT}=1 skips them (the skip is reported).", pytrace=False)


def _run(args: list[str], tmp: Path, timeout: float) -> str:
    command = [chromium_or_fail(), *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"chromium exited with {result.returncode}: {result.stderr[-2000:]}")
    return result.stdout


def measure(page: Path, tmp: Path, width: int = 1280, height: int = 900, timeout: float = 60) -> dict:
    """Load a copy of `page` (with the probe) at width x height px and return the probe's measurements:
    scroll_width, client_width, window_height, gate_bottom, gate_text and charts (alt, width, height,
    natural, natural_height, ink: pixels not white, caption: the figcaption's text, below_floor: the texts
    of its `ul.below-floor` items) per chart image."""
    probed = tmp / f"probed-{page.name}"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    dom = _run([f"--window-size={width},{height}", "--virtual-time-budget=10000", "--dump-dom", probed.as_uri()], tmp, timeout)
    found = re.search(r'<script type="application/json" id="measurements">(.*?)</script>', dom, re.S)
    if not found:
        raise AssertionError(f"the probe wrote no measurements (did the page load?): {dom[-1000:]}")
    return json.loads(found.group(1))


def screenshot(page: Path, out: Path, tmp: Path, width: int = 1280, height: int = 1600, timeout: float = 60) -> Path:
    """A PNG of the page's first width x height px."""
    _run([f"--window-size={width},{height}", f"--screenshot={out}", page.as_uri()], tmp, timeout)
    return out

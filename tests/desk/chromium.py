"""Debian's Chromium under Playwright for the desk's browser tests (the web chat tests' launch options)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.test_webchat_browser import ARGS, CHROMIUM


@contextmanager
def launched_chromium() -> Iterator:
    """A headless Chromium; the test fails (not skips) when the browser is missing."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: `make test` installs it (apt-get install chromium)", pytrace=False)
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield instance
        finally:
            instance.close()

"""The staff browser of tests/browser, for the statistics page's accessibility with the
table per platform filled (tests/reporting/test_platform_figures.py)."""

from tests.browser.conftest import chromium, desk  # noqa: F401

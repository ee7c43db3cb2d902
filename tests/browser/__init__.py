"""Browser test fixtures: the Node runner for Playwright (playwright-core, node/)."""

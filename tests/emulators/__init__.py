"""Loopback emulators of vendor clouds, written from the vendors' documented request and response
shapes (docs/protocols.md). They are test fixtures, not product code."""

"""A test-only stand-in for Splunk's search side: SPL parsed and evaluated over events presented as Splunk presents them (never shipped)."""

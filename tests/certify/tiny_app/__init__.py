"""Registers the test-only catalog (tests/certify/tiny_catalog) in every process
started with tests.certify.tiny_settings: a server, `manage.py certify`."""

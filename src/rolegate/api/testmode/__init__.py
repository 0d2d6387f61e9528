"""The /_rolegate routes and the request journal: mounted only with ROLEGATE_TEST_MODE."""

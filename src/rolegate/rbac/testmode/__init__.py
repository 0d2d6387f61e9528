"""Test mode's core: the simulated clock, snapshots of the store, the request journal.

Nothing here is reachable unless ``ROLEGATE_TEST_MODE`` is on (see ``api/testmode``).
"""

"""rolegate for integration tests: a pytest plugin (entry point ``pytest11``) and its client.

``rolegate`` (session fixture) is a :class:`Rolegate`: the base URL of a server in test
mode, ready tokens per surface, the test clock, reset and snapshots, the request journal.
``rolegate_clean`` is the same object, reset to the seed before the test. See
docs/testing.md.
"""

from rolegate.testing.client import Rolegate, RolegateError

__all__ = ["Rolegate", "RolegateError"]

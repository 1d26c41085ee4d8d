"""good.py retrying at once: no backoff, so a throttled job sends its request again straight
away, up to 40 times, into a service asking it to slow down.

    conformance client --seed 1 -- python examples/clients/retry_storm.py

fails CLIENT-BACKOFF (the run that throttles requests in a row shows it).
"""

from __future__ import annotations

import good


class RetryStorm(good.Job):
    def backoff(self, attempt: int) -> float:
        return 0.0  # the bug: retry at once


if __name__ == "__main__":
    good.main(RetryStorm)

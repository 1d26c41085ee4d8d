"""good.py with the bug of the aws-samples serverless SaaS integration (metering-sqs.js): it
never reads UnprocessedRecords, so usage the service did not process is lost.

    conformance client --faults 0.5 --seed 1 -- python examples/clients/drops_unprocessed.py

fails CLIENT-RETRY-UNPROCESSED with a one-fault schedule.
"""

from __future__ import annotations

from typing import Any

import good


class DropsUnprocessed(good.Job):
    def unprocessed(self, answer: dict[str, Any]) -> list[dict[str, Any]]:
        return []  # the bug: the answer's UnprocessedRecords are never looked at


if __name__ == "__main__":
    good.main(DropsUnprocessed)

"""good.py with the bug of a usage counter reset only on a 200 answer: after a failed send the
counter still holds the usage, more is added, and the retry sends the sum. After a lost answer
the service already holds the first quantity, so the retry is not an identical retry (within
the hour it is refused as a duplicate; in the next hour it bills the usage twice).

    conformance client --seed 1 -- python examples/clients/sums_on_retry.py

fails CLIENT-IDENTICAL-RETRY with a one-fault schedule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import good


class SumsOnRetry(good.Job):
    def retry_params(self, params: dict[str, Any], first_attempt: datetime) -> dict[str, Any]:
        # the bug: the unsent counter is added to what the retry carries
        if "UsageRecords" in params:
            records = [{**r, "Quantity": 2 * r["Quantity"]} for r in params["UsageRecords"]]
            return {**params, "UsageRecords": records}
        return {**params, "UsageQuantity": 2 * params["UsageQuantity"]}


if __name__ == "__main__":
    good.main(SumsOnRetry)

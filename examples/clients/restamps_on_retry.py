"""good.py with a common bug: each retry builds its request afresh and stamps the usage with
the time of the retry. After a lost answer the service cannot tell the retry for the record it
already holds (within the hour it refuses it as a duplicate; across an hour it bills twice).

    conformance client --faults 0.5 --seed 1 -- python examples/clients/restamps_on_retry.py

fails CLIENT-IDENTICAL-RETRY with a one-fault schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import good


class RestampsOnRetry(good.Job):
    def retry_params(self, params: dict[str, Any], first_attempt: datetime) -> dict[str, Any]:
        moved = datetime.now(UTC) - first_attempt  # the bug: a retry is stamped later
        if "UsageRecords" in params:
            records = [{**r, "Timestamp": r["Timestamp"] + moved} for r in params["UsageRecords"]]
            return {**params, "UsageRecords": records}
        return {**params, "Timestamp": params["Timestamp"] + moved}


if __name__ == "__main__":
    good.main(RestampsOnRetry)

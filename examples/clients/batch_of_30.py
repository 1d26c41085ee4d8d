"""good.py with batches of 30 records (a limit misread, or a batch size taken from another
API), and an error handler that logs a refused request and carries on: the job exits 0, and
the usage of every 30-record batch is never billed.

    conformance client --seed 1 -- python examples/clients/batch_of_30.py

fails CLIENT-BATCH-SIZE (and CLIENT-WELL-FORMED: the service refuses the batch) without any
fault.
"""

from __future__ import annotations

from typing import Any

import good
from botocore.exceptions import ClientError


class BatchOf30(good.Job):
    max_batch = 30  # the bug: BatchMeterUsage takes 25 records at most

    def refused(self, error: ClientError) -> dict[str, Any]:
        print(f"refused: {error.response['Error']['Code']}")  # logged, and the job goes on
        return {}


if __name__ == "__main__":
    good.main(BatchOf30)

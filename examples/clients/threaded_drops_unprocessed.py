"""threaded.py with a common bug: each thread sends its customer's batch once and trusts the
SDK's retries, which cover throttles, server errors and lost answers but not the records an
answer lists in UnprocessedRecords. The service has not billed those, and nothing sends them
again.

Its four threads send in another order each run, so a fault addressed by request number would
meet another customer's batch on the replay; addressed by content, the minimal schedule meets
the same batch every time:

    conformance client --faults 0.2 --seed 1 -- python examples/clients/threaded_drops_unprocessed.py

fails CLIENT-RETRY-UNPROCESSED and CLIENT-EXACTLY-ONCE with a one-fault schedule such as
``1f3a9c02/1:unprocessed=2``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import threaded


def meter_once(client: Any, records: list[dict[str, Any]]) -> None:
    pending = [{**r, "Timestamp": datetime.fromtimestamp(r["Timestamp"], UTC)} for r in records]
    client.batch_meter_usage(ProductCode=threaded.PRODUCT, UsageRecords=pending)  # the bug


if __name__ == "__main__":
    threaded.meter = meter_once
    threaded.main()

"""good.py run as a backfill that reaches 7 hours back, past the 6 hours MeterUsage accepts (and
BatchMeterUsage in profile 2025-01; 2026-11 accepts 24), with an error handler that logs a
refused request and carries on. The service refuses the request holding usage that old, and
the job exits 0.

    conformance client --seed 1 -- python examples/clients/backfills_7_hours.py

fails CLIENT-WINDOW without any fault.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import good
from botocore.exceptions import ClientError


class BackfillsSevenHours(good.Job):
    def saas_usage(self) -> list[dict[str, Any]]:
        old = {
            "Timestamp": self.collected_at - timedelta(hours=7),  # the bug: outside the window
            "CustomerIdentifier": good.CUSTOMERS[0],
            "Dimension": good.DIMENSIONS[0],
            "Quantity": 3,
        }
        return [old, *super().saas_usage()]

    def run(self) -> None:
        super().run()
        self.meter_container(self.collected_at - timedelta(hours=7), quantity=9)  # the bug again

    def refused(self, error: ClientError) -> dict[str, Any]:
        print(f"refused: {error.response['Error']['Code']}")  # logged, and the job goes on
        return {}


if __name__ == "__main__":
    good.main(BackfillsSevenHours)

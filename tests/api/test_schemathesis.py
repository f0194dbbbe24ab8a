"""Property-based run of the app's own OpenAPI schema: no input makes a server error.

Every operation gets a bounded number of generated requests (valid and
invalid), sent with an admin key so they reach the handlers, over both stores
with the test fleet ingested and detected (so cluster and entity routes have
data behind them).
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.api.conftest import Api

MAX_EXAMPLES = 12


def test_no_input_makes_a_server_error(fleet_api: Api) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fleet_api.app)
    headers = fleet_api.headers("admin")
    data_dir = str(fleet_api.ctx.settings.data_dir)
    failures: list[str] = []
    statuses: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            statuses.append(response.status_code)
            where = f"{case.method} {case.formatted_path} -> {response.status_code}"
            if response.status_code >= 500:
                failures.append(f"{where}: {response.text[:300]}")
            if "Traceback" in response.text or data_dir in response.text:
                failures.append(f"{where}: internal details in the response")

        check()
    assert failures == []
    # The run really reached the handlers: successes and rejections both happened.
    assert len(statuses) >= 5 * len(operations)
    assert any(200 <= s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses)

"""The API's OpenAPI schema, fuzzed with schemathesis over real HTTP: no 500s, answers as the schema says."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from intently.policy import load_policy
from intently.web import create_app
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
from tests.test_webhooks import Served, loaded_store

_HOME = Path(tempfile.mkdtemp(prefix="intently-fuzz-"))
_STORE = loaded_store(str(_HOME / "store.db"), FakeZendesk(ZendeskDataset.generate(tickets=5)), _HOME, load_policy())
_TOKEN = _STORE.create_token("fuzz", role="admin")


def _no_zendesk() -> None:
    raise AssertionError("the API never calls Zendesk here")


_APP = create_app(_STORE, load_policy(), _no_zendesk, write_back=False, webhook_secret="s", run_worker=False)
schema = schemathesis.openapi.from_dict(_APP.openapi())


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with Served(_APP) as served:
        yield served.url


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_never_fails_and_answers_as_documented(case: schemathesis.Case, base_url: str) -> None:
    # positive_data_acceptance is left out: the schema cannot say "this user is not an agent" or "this ticket
    # has no description yet", which a schema-valid request may meet and which rightly answer 422.
    case.call_and_validate(
        base_url=base_url,
        headers={"Authorization": f"Bearer {_TOKEN}"},
        excluded_checks=[positive_data_acceptance],
    )

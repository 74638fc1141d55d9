"""Change detection: which ProductUpdate (if any) a result causes, with the right old/new values."""

from __future__ import annotations

import copy
import uuid
from datetime import timedelta
from typing import Any

import pytest

from consumers.sinks.changes import detect_batch, invalidation, next_state
from schemas.samples import SAMPLE_TIME, scrape_result

T0 = SAMPLE_TIME
EUR_3999 = {"amount_minor": 3999, "currency": "EUR"}


def result_at(minutes: int, **product_changes: Any) -> dict[str, Any]:
    result = scrape_result()
    result["request_id"] = uuid.uuid4()
    result["scraped_at"] = T0 + timedelta(minutes=minutes)
    result["product"].update(copy.deepcopy(product_changes))
    return result


def stored_after(*results: dict[str, Any]):
    state = None
    for result in results:
        state, _ = next_state(state, result)
    return state


def test_first_sighting_is_new_with_version_one_and_no_old_values() -> None:
    state, update = next_state(None, result_at(0))
    assert update == {
        "product_id": "shop.example:KT-2000",
        "domain": "shop.example",
        "changes": ["NEW"],
        "old_price": None,
        "new_price": EUR_3999,
        "old_availability": None,
        "new_availability": "IN_STOCK",
        "version": 1,
        "updated_at": T0,
    }
    assert state.version == 1 and state.changed_here


@pytest.mark.parametrize(
    ("product_changes", "expected"),
    [
        ({}, None),
        ({"price": {"amount_minor": 3499, "currency": "EUR"}}, ["PRICE"]),
        ({"price": {"amount_minor": 3999, "currency": "USD"}}, ["PRICE"]),
        ({"price": None}, ["PRICE"]),
        ({"availability": "OUT_OF_STOCK"}, ["AVAILABILITY"]),
        ({"title": "Electric Kettle 2200 W"}, ["CONTENT"]),
        ({"attributes": {"colour": "black"}}, ["CONTENT"]),
        ({"category_path": []}, ["CONTENT"]),
        ({"rating": 3.0, "review_count": 2000}, None),  # volatile signals are not CONTENT
        (
            {"price": {"amount_minor": 4599, "currency": "EUR"}, "availability": "LIMITED", "brand": "Other"},
            ["PRICE", "AVAILABILITY", "CONTENT"],
        ),
    ],
)
def test_newer_result_reports_exactly_what_changed(product_changes: dict, expected: list[str] | None) -> None:
    stored = stored_after(result_at(0))
    newer = result_at(5, **product_changes)
    state, update = next_state(stored, newer)
    assert state.scraped_at == newer["scraped_at"]
    if expected is None:
        assert update is None
        assert state.version == 1 and not state.changed_here
        return
    assert update["changes"] == expected
    assert update["version"] == 2
    assert (update["old_price"], update["new_price"]) == (EUR_3999, newer["product"]["price"])
    assert (update["old_availability"], update["new_availability"]) == (
        "IN_STOCK",
        newer["product"]["availability"],
    )
    assert update["updated_at"] == newer["scraped_at"]


def test_older_result_yields_nothing_to_store_and_no_update() -> None:
    stored = stored_after(result_at(10))
    assert next_state(stored, result_at(5, price={"amount_minor": 1, "currency": "EUR"})) == (None, None)


def test_replayed_result_reemits_the_update_it_caused_and_nothing_else() -> None:
    first, changed = result_at(0), result_at(5, availability="OUT_OF_STOCK")
    unchanged = result_at(9, availability="OUT_OF_STOCK")
    stored = stored_after(first, changed)
    state, update = next_state(stored, changed)
    assert state == stored and update == stored.last_update and update["version"] == 2
    stored = stored_after(first, changed, unchanged)
    assert next_state(stored, unchanged) == (stored, None)


def test_batch_chains_results_of_one_product_in_order_from_one_stored_state() -> None:
    stored = stored_after(result_at(0))
    other = result_at(1)
    other["product"]["product_id"] = "shop.example:OTHER"
    failed = result_at(2)
    failed.update(status="TIMEOUT", product=None)
    batch = [
        result_at(3, price={"amount_minor": 3499, "currency": "EUR"}),
        other,
        failed,
        result_at(4, price={"amount_minor": 3499, "currency": "EUR"}),
        result_at(6, price={"amount_minor": 3999, "currency": "EUR"}, availability="LIMITED"),
        result_at(-1, price={"amount_minor": 1, "currency": "EUR"}),  # late and older
    ]
    outcome = detect_batch({stored.product_id: stored}, batch, emitted_at=T0)

    updates = [change.update if change else None for change in outcome.changes]
    assert [u and (u["product_id"], u["changes"], u["version"]) for u in updates] == [
        ("shop.example:KT-2000", ["PRICE"], 2),
        ("shop.example:OTHER", ["NEW"], 1),
        None,
        None,
        ("shop.example:KT-2000", ["PRICE", "AVAILABILITY"], 3),
        None,
    ]
    assert updates[4]["old_price"] == {"amount_minor": 3499, "currency": "EUR"}
    assert updates[4]["new_price"] == EUR_3999
    assert [state.scraped_at for state in outcome.writes] == [batch[i]["scraped_at"] for i in (0, 1, 3, 4)]


def test_invalidation_keys_follow_the_documented_scheme() -> None:
    _, new = next_state(None, result_at(0))
    _, content = next_state(stored_after(result_at(0)), result_at(1, title="Kettle"))
    assert invalidation(new, T0) == {
        "keys": [
            "product:shop.example:KT-2000",
            "domain:shop.example:list",
            "product:shop.example:KT-2000:price_history",
        ],
        "product_id": "shop.example:KT-2000",
        "reason": "new product",
        "emitted_at": T0,
    }
    assert invalidation(content, T0)["keys"] == ["product:shop.example:KT-2000", "domain:shop.example:list"]
    assert invalidation(content, T0)["reason"] == "content changed"


def test_a_result_without_product_is_refused_by_name() -> None:
    result = result_at(0)
    result.update(status="NOT_FOUND", product=None)
    with pytest.raises(ValueError, match="has no product"):
        next_state(None, result)

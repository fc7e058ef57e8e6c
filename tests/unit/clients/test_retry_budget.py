"""The retry budget: retries add at most `ratio` of the calls, plus a floor per second."""

import pytest
from support import ManualClock

from clients.budget import RetryBudget
from clients.policies import BudgetPolicy


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


def spend_all(budget: RetryBudget) -> int:
    spent = 0
    while budget.try_spend():
        spent += 1
    return spent


def test_starts_full_with_the_floor_of_one_window(clock: ManualClock) -> None:
    budget = RetryBudget(BudgetPolicy(ratio=0.2, min_per_second=10, window=10), clock=clock)

    assert budget.balance == 100
    assert spend_all(budget) == 100
    assert budget.try_spend() is False


def test_each_call_deposits_the_ratio(clock: ManualClock) -> None:
    budget = RetryBudget(BudgetPolicy(ratio=0.2, min_per_second=0), clock=clock)
    spend_all(budget)

    for _ in range(10):
        budget.deposit()

    assert spend_all(budget) == 1  # 10 calls * 0.2 = 2 tokens, but the cap is one token


def test_deposits_fund_one_retry_per_five_calls(clock: ManualClock) -> None:
    budget = RetryBudget(BudgetPolicy(ratio=0.2, min_per_second=1, window=10), clock=clock)
    spend_all(budget)

    retries = 0
    for _ in range(50):
        budget.deposit()
        retries += spend_all(budget)

    assert retries == 10


def test_time_refills_at_the_floor_rate(clock: ManualClock) -> None:
    budget = RetryBudget(BudgetPolicy(ratio=0.0, min_per_second=10, window=10), clock=clock)
    spend_all(budget)

    clock.now += 0.5
    assert spend_all(budget) == 5
    clock.now += 60
    assert spend_all(budget) == 100, "a quiet minute banks no more than the cap"


def test_zero_floor_still_allows_a_whole_token(clock: ManualClock) -> None:
    budget = RetryBudget(BudgetPolicy(ratio=0.5, min_per_second=0), clock=clock)

    assert budget.balance == 1
    assert budget.try_spend() is True
    budget.deposit()
    assert budget.try_spend() is False
    budget.deposit()
    assert budget.try_spend() is True


def test_total_retries_never_exceed_the_bound(clock: ManualClock) -> None:
    """Whatever the failure pattern: retries <= start + ratio * calls + floor * seconds."""
    policy = BudgetPolicy(ratio=0.2, min_per_second=2, window=5)
    budget = RetryBudget(policy, clock=clock)
    start = budget.balance
    calls = retries = 0
    for step in range(2000):
        clock.now += 0.01
        budget.deposit()
        calls += 1
        for _ in range(2):  # every call fails and wants two retries
            if budget.try_spend():
                retries += 1
        if step % 100 == 0:
            clock.now += 1  # a pause now and then

    seconds = clock.now - 1000.0
    assert retries <= start + policy.ratio * calls + policy.min_per_second * seconds + 1e-9
    assert retries >= policy.ratio * calls, "the ratio is available, not just the floor"


@pytest.mark.parametrize(
    "kwargs",
    [{"ratio": -0.1}, {"ratio": 1.5}, {"min_per_second": -1}, {"window": 0}],
)
def test_policy_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        BudgetPolicy(**kwargs)

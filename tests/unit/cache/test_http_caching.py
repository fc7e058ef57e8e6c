"""The caching headers of a screen, derived from the calls that built it."""

from bff.http_caching import cache_control, cache_status, cache_status_entry, etag_matches, etag_of
from clients.record import CallRecord


def call(
    cache: str | None,
    *,
    age: float = 0.0,
    ttl: float | None = 60.0,
    private: bool = False,
    method: str = "GET",
) -> CallRecord:
    timing = CallRecord("users", method, "/users/1", "users.get", outcome="ok")
    timing.cache = cache
    timing.cache_age = age
    timing.cache_ttl = ttl if cache is not None else None
    timing.private = private
    return timing


def test_max_age_is_the_smallest_remaining_freshness() -> None:
    calls = [call("hit", age=10), call("miss", ttl=30), call("hit", age=59.5)]

    assert cache_control(calls, partial=False) == "public, max-age=0"
    assert cache_control(calls[:2], partial=False) == "public, max-age=30"


def test_a_stale_part_makes_the_screen_immediately_stale() -> None:
    assert cache_control([call("stale", age=90)], partial=False) == "public, max-age=0"


def test_one_personal_part_makes_the_screen_private() -> None:
    calls = [call("hit", age=5), call("miss", ttl=30, private=True)]

    assert cache_control(calls, partial=False) == "private, max-age=30"


def test_an_uncacheable_part_means_revalidate_every_time() -> None:
    # A call that skipped the cache step (no policy, or the cache is off) has no cache status.
    assert cache_control([call("hit"), call(None)], partial=False) == "public, no-cache"


def test_a_partial_screen_is_never_stored() -> None:
    assert cache_control([call("hit")], partial=True) == "no-store"


def test_cache_status_entries_follow_rfc_9211() -> None:
    failed = call("stale", age=75)
    failed.stale_cause = "unavailable"
    failed.status = 503

    assert cache_status_entry(call("hit", age=18)) == (
        'BFF; hit; ttl=42; detail="users GET /users/1"'
    )
    assert cache_status_entry(call("stale", age=75)).startswith("BFF; hit; ttl=-15;")
    assert cache_status_entry(failed).startswith("BFF; fwd=stale; fwd-status=503; ttl=-15;")
    assert cache_status_entry(call("miss")).startswith("BFF; fwd=uri-miss; stored;")
    assert cache_status_entry(call(None)).startswith("BFF; fwd=bypass;")
    assert cache_status_entry(call(None, method="POST")).startswith("BFF; fwd=method;")
    assert cache_status([call("hit"), call("miss")]).count("BFF;") == 2


def test_etags_are_strong_and_compared_weakly_for_if_none_match() -> None:
    tag = etag_of(b'{"a":1}')

    assert tag == etag_of(b'{"a":1}')
    assert tag != etag_of(b'{"a":2}')
    assert not tag.startswith("W/")
    assert etag_matches(tag, tag)
    assert etag_matches(f'"other", W/{tag}', tag)
    assert etag_matches("*", tag)
    assert not etag_matches('"other"', tag)

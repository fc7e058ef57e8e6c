"""ServicePolicy refuses settings that would send calls somewhere unintended or never time out."""

import dataclasses
import math

import pytest

from clients import ServicePolicy


def test_trailing_slash_is_dropped() -> None:
    assert ServicePolicy("https://dummyjson.com/", 2.0).base_url == "https://dummyjson.com"


def test_path_prefix_is_kept() -> None:
    assert ServicePolicy("http://127.0.0.1:9100/api", 1).base_url == "http://127.0.0.1:9100/api"


@pytest.mark.parametrize(
    "url", ["dummyjson.com", "ftp://dummyjson.com", "http://", "http://x.test?a=1", "http://x#f"]
)
def test_bad_base_url(url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        ServicePolicy(url, 1.0)


@pytest.mark.parametrize("timeout", [0, -1, math.nan])
def test_bad_timeout(timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        ServicePolicy("http://x.test", timeout)


def test_frozen() -> None:
    policy = ServicePolicy("http://x.test", 1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.timeout = 2.0  # type: ignore[misc]

"""The lab's checks on who may call it: Host names (DNS rebinding), Origins, the token."""

from __future__ import annotations

import pytest

from neuralab.lab import security


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "LOCALHOST", "[::1]:8765", "192.168.1.20:80"])
def test_host_names_of_this_machine_pass(host):
    assert security.host_allowed(host, "127.0.0.1")


@pytest.mark.parametrize("host", ["evil.example:8765", "127.0.0.1.evil.example", "localhost.evil.example:8765", "", None])
def test_rebound_names_and_missing_hosts_are_refused(host):
    assert not security.host_allowed(host, "127.0.0.1")


def test_the_bound_name_passes_when_the_user_chose_one():
    assert security.host_allowed("mybox.lan:8765", "mybox.lan")
    assert not security.host_allowed("mybox.lan:8765", "127.0.0.1")


def test_origin_must_be_this_very_server():
    assert security.origin_allowed(None, "127.0.0.1:8765")
    assert security.origin_allowed("http://127.0.0.1:8765", "127.0.0.1:8765")
    assert not security.origin_allowed("http://127.0.0.1:9999", "127.0.0.1:8765")
    assert not security.origin_allowed("http://evil.example", "127.0.0.1:8765")
    assert not security.origin_allowed("null", "127.0.0.1:8765")


def test_tokens_are_fresh_and_compared_exactly():
    first, second = security.new_token(), security.new_token()
    assert first != second and len(first) >= 40
    assert security.token_matches(first, first)
    assert not security.token_matches(first, second)
    assert not security.token_matches(first, None) and not security.token_matches(first, "")

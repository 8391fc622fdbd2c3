"""Key naming: one hash tag per account, ids that cannot break tags or SCAN patterns."""

from __future__ import annotations

import re

import pytest

from rapport.storage import keys


def _tag(key: str) -> str:
    start = key.index("{")
    return key[start + 1 : key.index("}", start)]


def test_every_account_key_shares_one_hash_tag() -> None:
    k = keys.AccountKeys("acme", "mastodon", "alice@example.social")
    tags = {_tag(key) for key in k.all()}
    assert tags == {"t:acme:mastodon:alice@example.social"}


@pytest.mark.parametrize("account", ["a}b", "{x}", "a:b", "*", "[a]", "a?b", "a b", "é"])
def test_hostile_ids_are_encoded(account: str) -> None:
    k = keys.AccountKeys("acme", "x", account)
    assert k.meta.count("{") == 1
    assert k.meta.count("}") == 1
    assert not re.search(r"[*?\[\]\\ ]", k.scan_pattern()[:-1])
    assert keys.member_account(keys.account_member("x", account)) == ("x", account)


def test_two_accounts_never_share_a_tag() -> None:
    a = keys.AccountKeys("acme", "x", "a:b")
    b = keys.AccountKeys("acme", "x:a", "b")
    assert _tag(a.meta) != _tag(b.meta)


def test_tenants_are_separated_and_validated() -> None:
    assert _tag(keys.AccountKeys("one", "x", "a").meta) != _tag(
        keys.AccountKeys("two", "x", "a").meta
    )
    with pytest.raises(ValueError, match="invalid tenant"):
        keys.AccountKeys("Bad}", "x", "a")
    with pytest.raises(ValueError, match="invalid tenant"):
        keys.tenant_accounts("")

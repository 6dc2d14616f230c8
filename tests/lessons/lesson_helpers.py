"""Helpers the lesson tests import (a unique name: every test folder has its own conftest)."""

from __future__ import annotations

from neuralab.lessons.claims import rule_from_json


def recheck(record: dict) -> None:
    """Every verdict in a record must follow from its numbers by its own rule."""
    for claim in record["claims"]:
        assert rule_from_json(claim["rule_json"]).verdict(claim["measured"]) == claim["verdict"], claim["id"]
        if claim.get("fix"):
            fix = claim["fix"]
            assert rule_from_json(fix["rule_json"]).verdict(fix["measured"]) == fix["verdict"], claim["id"]


def claim(record: dict, claim_id: str) -> dict:
    """The claim ``claim_id`` of a lesson record."""
    for made in record["claims"]:
        if made["id"] == claim_id:
            return made
    raise AssertionError(f"{record['name']} made no claim {claim_id}; it made {[c['id'] for c in record['claims']]}")

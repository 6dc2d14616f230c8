"""Helpers the lesson tests import (a unique name: every test folder has its own conftest)."""

from __future__ import annotations


def claim(record: dict, claim_id: str) -> dict:
    """The claim ``claim_id`` of a lesson record."""
    for made in record["claims"]:
        if made["id"] == claim_id:
            return made
    raise AssertionError(f"{record['name']} made no claim {claim_id}; it made {[c['id'] for c in record['claims']]}")

"""Fuzz the lab's upload parser (``neuralab.playground.read_csv_upload``).

Documented refusal: ``PlaygroundError`` naming the line and what was expected. Properties
of an accepted upload: 2 to ``LIMITS["max_points"]`` points, every number finite, features
within the plane the view draws (|x| <= 6) and class labels in ``0..classes-1``.
"""

from __future__ import annotations

import math

from fuzz.harness import Target, instrumented, main

with instrumented():
    from neuralab.playground import LIMITS, PlaygroundError, read_csv_upload


def test_one_input(data: bytes) -> None:
    try:
        parsed = read_csv_upload(data)
    except PlaygroundError:
        return
    points = parsed["points"]
    if not 2 <= len(points) <= LIMITS["max_points"]:
        raise AssertionError(f"{len(points)} points accepted")
    for x1, x2, label in points:
        if not all(math.isfinite(v) for v in (x1, x2, label)) or abs(x1) > 6 or abs(x2) > 6:
            raise AssertionError(f"point {(x1, x2, label)} outside the finite plane |x| <= 6")
        if parsed["problem"] == "classification" and label not in range(parsed["classes"]):
            raise AssertionError(f"label {label} outside 0..{parsed['classes'] - 1}")


def seeds() -> list[bytes]:
    return [
        b"x1,x2,label\n0.5,-1.2,1\n-0.3,2.0,0\n1,1,1\n",
        b"0.1;0.2;3.5\n0.3;0.4;-1.25\n# comment\n\n9,12,0.5\n",
        "\ufeffa\tb\tc\n1e3\t-2e3\t-1\n4\t5\t1\n".encode("utf-8"),
        b"1,2,3\n4,5,6\n7,8,9\n10,11,12\n13,14,15\n16,17,18\n19,20,21\n",
        b"0,0,nan\n1,1,inf\n",
    ]


TARGET = Target("csv_upload", test_one_input, seeds, "PlaygroundError")

if __name__ == "__main__":
    main(TARGET)

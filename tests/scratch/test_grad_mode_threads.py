"""Grad mode is per thread, as in torch: one thread's no_grad leaves another's backward alone."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

import neuralab.scratch as S


@pytest.mark.parametrize("T", [torch, S], ids=["torch", "scratch"])
def test_no_grad_in_one_thread_does_not_reach_another(T):
    inside = threading.Event()   # thread A is inside no_grad
    done = threading.Event()     # thread B has finished its backward
    seen = {}

    def a():
        with T.no_grad():
            inside.set()
            done.wait(10)
            seen["a_enabled"] = T.is_grad_enabled()
            seen["a_requires_grad"] = (T.ones(2, requires_grad=True) * 2).requires_grad

    def b():
        inside.wait(10)
        w = T.tensor([1.0, 2.0], requires_grad=True)
        loss = (w * w).sum()
        seen["b_enabled"] = T.is_grad_enabled()
        loss.backward()
        seen["b_grad"] = np.array(w.grad.tolist())
        done.set()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert seen["b_enabled"] and not seen["a_enabled"] and not seen["a_requires_grad"]
    assert np.array_equal(seen["b_grad"], [2.0, 4.0])
    assert T.is_grad_enabled()  # the main thread never changed


@pytest.mark.parametrize("T", [torch, S], ids=["torch", "scratch"])
def test_new_threads_start_with_grad_enabled(T):
    seen = []
    with T.no_grad():
        t = threading.Thread(target=lambda: seen.append(T.is_grad_enabled()))
        t.start()
        t.join(10)
        seen.append(T.is_grad_enabled())
    T.set_grad_enabled(False)
    try:
        t = threading.Thread(target=lambda: seen.append(T.is_grad_enabled()))
        t.start()
        t.join(10)
    finally:
        T.set_grad_enabled(True)
    assert seen == [True, False, True]


def test_two_threads_training_interleaved_match_serial_runs():
    """Two threads alternate steps (one evaluating under no_grad between its steps); each
    ends with exactly the weights a serial run gives."""
    def run(seed, steps, turn=None, me=None, other=None):
        rng = np.random.default_rng(seed)
        x, y = S.from_numpy(rng.standard_normal((16, 3))), S.from_numpy(rng.standard_normal((16, 1)))
        w = S.from_numpy(rng.standard_normal((3, 1))).requires_grad_(True)
        for _ in range(steps):
            if turn is not None:
                me.wait(10)
                me.clear()
            loss = ((x @ w - y) ** 2).mean()
            with S.no_grad():
                if turn is not None:
                    other.set()   # the other thread runs its step while this one sits in no_grad
                    me.wait(10)
                    me.clear()
                (x @ w).sum()
            loss.backward()
            with S.no_grad():
                w -= 0.1 * w.grad
            w.grad = None
            if turn is not None:
                other.set()
        return w.detach().numpy().copy()

    serial = {seed: run(seed, 6) for seed in (1, 2)}
    e1, e2 = threading.Event(), threading.Event()
    out = {}
    t1 = threading.Thread(target=lambda: out.__setitem__(1, run(1, 6, True, e1, e2)))
    t2 = threading.Thread(target=lambda: out.__setitem__(2, run(2, 6, True, e2, e1)))
    t1.start()
    t2.start()
    e1.set()
    t1.join(30)
    t2.join(30)
    for seed in (1, 2):
        np.testing.assert_array_equal(out[seed], serial[seed])

"""Fit sin(x) with a + b * P3(c + d * x), P3 a custom autograd Function (after PyTorch's tutorial).

P3(x) = (5x^3 - 3x) / 2 is the Legendre polynomial of degree 3; its backward is written by
hand: dP3/dx = (15x^2 - 3) / 2.

    python custom_function.py --steps 2000
"""

import argparse
import math

import torch


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--lr", type=float, default=5e-6)
    args = parser.parse_args()

    dtype = torch.float
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)

    # weights start where the tutorial starts them, so both engines follow one trajectory
    a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)

    P3 = LegendrePolynomial3.apply
    for t in range(args.steps):
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % 200 == 199:
            print(t, loss.item())
        loss.backward()
        with torch.no_grad():
            a -= args.lr * a.grad
            b -= args.lr * b.grad
            c -= args.lr * c.grad
            d -= args.lr * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    print(f"Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)")
    print(f"Final loss: {loss.item():.6f}")


if __name__ == "__main__":
    main()

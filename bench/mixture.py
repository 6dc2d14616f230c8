"""The Gaussian mixture fitted after DCGAN training: neuralab's own EM against scikit-learn's.

``mnist-dcgan`` conditions its generator on the 32 leading whitened principal components of
each training image (``generative.codes``) and, after training, fits a 100-Gaussian mixture
with full covariances to those codes (``recipes.gan.fit_code_prior``); samples ask for codes
drawn from it. The codes depend only on the images, so this bench builds exactly the codes a
run fits (MNIST's 50,000 training images, no GAN needed) and fits both mixtures with the same
components, covariance type, regularization (1e-6 on the diagonal), tolerance and round cap:

* ``sklearn``: ``generative.mixture.fit_gaussian_mixture``, which is scikit-learn's
  ``GaussianMixture`` (k-means start, EM) since this bench measured it better;
* ``numpy``: the hand-written EM in NumPy (k-means++ seeds, 10 Lloyd rounds, then EM) that
  ``generative.mixture`` held before, kept here (:func:`numpy_em`) so the comparison reruns.

Printed per fit: seconds, EM rounds, mean log-likelihood per code on the training codes and
on the held-out test codes (nats), and the quality of what the mixture samples: ``--samples``
codes drawn from it are decoded back to images through the PCA basis (the blurry picture the
code stands for) and read by the MNIST-FID feature net as the recipe reads its samples:
``recognized`` (top-1 probability >= 0.9), ``rarest_class``, and the FID against the decoded
test codes (``floor``: as many decoded training codes against the same reference).

    nice -n 10 .venv/bin/python bench/mixture.py                      # the recipe's setting (minutes)
    .venv/bin/python bench/mixture.py --subset 5000 --components 10   # a quick check
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from neuralab import data  # noqa: E402
from neuralab.generative import fid  # noqa: E402
from neuralab.generative.codes import PCACode, fit_pca_code  # noqa: E402
from neuralab.generative.mixture import GaussianMixture, fit_gaussian_mixture, kmeans_plus_plus, squared_distances  # noqa: E402

TOL, REG = 1e-5, 1e-6  # fit_gaussian_mixture's defaults: stop below 1e-5 nats of gain; 1e-6 on each diagonal


def numpy_em(points: np.ndarray, components: int, seed=0, iterations: int = 100, tol: float = TOL,
             reg: float = REG) -> tuple[GaussianMixture, dict[str, float]]:
    """The hand-written EM that ``generative.mixture`` held before this bench chose scikit-learn's:
    k-means++ seeds and 10 Lloyd rounds, one M step on the hard assignments, then EM rounds until
    the mean log-likelihood gains less than ``tol`` nats or ``iterations`` rounds have run."""
    points = np.asarray(points, dtype=np.float64)
    rng = np.random.default_rng(seed)
    centres = kmeans_plus_plus(points, components, rng)
    responsibilities = np.eye(components)[squared_distances(points, centres).argmin(1)]
    mixture, previous, rounds = _m_step(points, responsibilities, reg), -np.inf, 0
    for rounds in range(1, iterations + 1):
        log_joint = mixture.component_log_densities(points)                          # (N, K)
        log_p = np.logaddexp.reduce(log_joint, axis=1)
        responsibilities = np.exp(log_joint - log_p[:, None])
        mixture = _m_step(points, responsibilities, reg)
        if float(log_p.mean()) - previous < tol:
            break
        previous = float(log_p.mean())
    return mixture, {"log_likelihood": float(mixture.log_prob(points).mean()), "iterations": rounds}


def _m_step(points: np.ndarray, responsibilities: np.ndarray, reg: float) -> GaussianMixture:
    """Weighted maximum-likelihood weights, means and covariances (+ ``reg`` on the diagonal)."""
    counts = responsibilities.sum(0) + 1e-12                                          # (K,)
    means = responsibilities.T @ points / counts[:, None]                             # (K, D)
    covariances = np.empty((len(counts), points.shape[1], points.shape[1]))
    for k in range(len(counts)):
        centred = points - means[k]
        covariances[k] = (responsibilities[:, k, None] * centred).T @ centred / counts[k] + reg * np.eye(points.shape[1])
    return GaussianMixture(counts / counts.sum(), means, covariances)


def decode(code: PCACode, codes: np.ndarray) -> np.ndarray:
    """Images ``(N, 1, 28, 28)`` in [0, 1] that ``codes (N, k)`` stand for: ``mean + (c * scales) V_k^T``."""
    flat = code.mean + (np.asarray(codes, dtype=np.float64) * code.scales) @ code.components.T
    return np.clip(flat, 0.0, 1.0).reshape(len(codes), 1, 28, 28).astype(np.float32)


def sample_quality(images: np.ndarray, net, reference_features: np.ndarray) -> dict[str, float]:
    """The feature net's reading of decoded samples and their FID against the decoded test codes."""
    readings = fid.recognizability(fid.class_probabilities(images, net))
    distance = fid.feature_distance(fid.extract_features(images, net), reference_features)
    return {"recognized": readings["recognized"], "rarest_class": readings["rarest_class"], "fid": distance}


def fit(backend: str, codes: np.ndarray, components: int, seed: int, iterations: int):
    """``(mixture, info, wall seconds, CPU seconds of this process)`` of one backend on ``codes``."""
    start, cpu_start = time.perf_counter(), time.process_time()
    if backend == "numpy":
        mixture, info = numpy_em(codes, components, seed=[seed, 11], iterations=iterations)
    elif backend == "sklearn":  # what generative.mixture runs: scikit-learn's GaussianMixture
        mixture, info = fit_gaussian_mixture(codes, components, seed=[seed, 11], iterations=iterations, tol=TOL, reg=REG)
    else:
        raise ValueError(f"--backends: expected numpy or sklearn; got {backend!r}")
    return mixture, info, time.perf_counter() - start, time.process_time() - cpu_start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--components", type=int, default=100, help="mixture components (mnist-dcgan: 100)")
    parser.add_argument("--code-dim", type=int, default=32, help="PCA code size (mnist-dcgan: 32)")
    parser.add_argument("--subset", type=int, default=None, help="first N training images only (quick checks)")
    parser.add_argument("--iterations", type=int, default=100, help="EM round cap (the recipe's: 100)")
    parser.add_argument("--samples", type=int, default=10_000, help="codes drawn from each mixture for the quality reading")
    parser.add_argument("--threads", type=int, default=2, help="BLAS/OpenMP threads for both fits (the recipe: 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backends", default="sklearn,numpy", help="comma-separated, in this order: sklearn, numpy")
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_limits  # noqa: PLC0415 - comes with scikit-learn

    splits = data.load("mnist")
    train_x = splits.train.x[: args.subset] if args.subset else splits.train.x
    code = fit_pca_code(train_x, args.code_dim)
    train_codes, test_codes = code.encode(train_x), code.encode(splits.test.x)
    print(f"codes: {len(train_codes)} training and {len(test_codes)} test images of MNIST -> {args.code_dim}-d whitened "
          f"PCA (mnist-dcgan's); {args.components} full-covariance components, {args.threads} thread(s)", flush=True)

    net, _ = fid.load_feature_net()
    reference = fid.extract_features(decode(code, test_codes), net)
    floor_pick = np.random.default_rng(args.seed).choice(len(train_codes), size=min(args.samples, len(train_codes)), replace=False)
    floor = sample_quality(decode(code, train_codes[np.sort(floor_pick)]), net, reference)
    print(f"decoded training codes (what a perfect code density would give): recognized {floor['recognized']:.3f}, "
          f"rarest_class {floor['rarest_class']:.3f}, FID floor {floor['fid']:.2f}", flush=True)

    header = f"{'backend':<9} {'seconds':>8} {'CPU s':>8} {'rounds':>6} {'train ll':>9} {'test ll':>9} {'recognized':>10} {'rarest':>7} {'FID':>7}"
    rows = []
    for backend in args.backends.split(","):
        with threadpool_limits(limits=args.threads):
            mixture, info, seconds, cpu_seconds = fit(backend, train_codes, args.components, args.seed, args.iterations)
        test_ll = float(mixture.log_prob(test_codes).mean())
        quality = sample_quality(decode(code, mixture.sample(args.samples, seed=[args.seed, 5])), net, reference)
        rows.append(f"{backend:<9} {seconds:>8.1f} {cpu_seconds:>8.1f} {info['iterations']:>6} {info['log_likelihood']:>9.3f} {test_ll:>9.3f} "
                    f"{quality['recognized']:>10.3f} {quality['rarest_class']:>7.3f} {quality['fid']:>7.2f}")
        print(rows[-1], flush=True)
    print("\n" + header + "\n" + "\n".join(rows))
    print("(seconds: wall clock of the fit; CPU s: this process's CPU time over all threads, steadier on a busy machine;\n"
          " ll: mean log-likelihood per code, nats; recognized/rarest/FID: decoded samples read by the MNIST-FID feature net)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

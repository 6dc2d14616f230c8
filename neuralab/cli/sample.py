"""`neuralab sample RUN`: text from a trained language model (`--prompt "ROMEO:" --tokens 500`), or
samples from a generative run into a PNG (`--n 64 --label 3 --seed 1 --out grid.png`).

* Diffusion and GAN runs on MNIST write a grid of ``--n`` images (default 64): a conditional model
  draws digit ``--label`` K, or by default one row per class. Diffusion runs sample as after
  training (the run's sampler, DDIM steps and guidance; ``--steps``/``--guidance`` change them);
  a GAN draws each image in one pass of its generator, so those two options are refused.
* VAE runs write a grid of decoder means for z drawn from the run's sampling prior (its fitted
  mixture, or N(0, I)); ``--prior normal`` draws from N(0, I) whatever the run used.
* Runs on a 2-D toy set (ring-gan, gaussians-gan, ring-ddpm, moons-ddpm, ...) write a scatter of
  ``--n`` generated points (default 1000) beside the real training points.
"""

from __future__ import annotations

import argparse

IMAGES, POINTS = 64, 1000  # default --n for an image grid, for a 2-D scatter


def register(subparsers) -> None:
    """Add the ``sample`` command."""
    parser = subparsers.add_parser("sample", help="generate text from a language-model run, or samples from a diffusion or GAN run",
                                   description="Language models: load RUN's last weights and vocabulary, then continue the "
                                               "prompt. Diffusion and GAN runs: draw an image grid (MNIST) or a scatter "
                                               "beside the real points (2-D toy sets) into --out.")
    parser.add_argument("run", help="run folder of a language-model, diffusion or GAN recipe, e.g. runs/mnist-ddpm-20261121-101500")
    parser.add_argument("--prompt", default="\n", help="text to continue (default: a newline)")
    parser.add_argument("--tokens", type=int, default=500, help="characters to generate (default: 500)")
    parser.add_argument("--temperature", type=float, default=0.8, help="softmax temperature; lower is safer (default: 0.8)")
    parser.add_argument("--top-k", type=int, default=None, help="draw only among the k likeliest characters")
    parser.add_argument("--seed", type=int, default=0, help="seed of the draws (default: 0)")
    images = parser.add_argument_group("samples (diffusion, GAN and VAE runs)")
    images.add_argument("--n", type=int, default=None, help=f"samples to draw (default: {IMAGES} images, a square number "
                        f"making a square grid; {POINTS} points for a run on a 2-D set)")
    images.add_argument("--label", type=int, default=None, help="conditional models: the class (digit) to draw; "
                        "default: one row per class")
    images.add_argument("--steps", type=int, default=None, help="diffusion only: DDIM steps (default: the run's diffusion.ddim_steps)")
    images.add_argument("--guidance", type=float, default=None, help="diffusion only: classifier-free guidance scale (default: the run's)")
    images.add_argument("--prior", choices=("run", "normal"), default="run",
                        help="VAE only: draw z from the run's sampling prior (default) or from N(0, I)")
    images.add_argument("--out", default="grid.png", help="PNG to write (default: grid.png)")
    parser.add_argument("--engine", choices=("torch", "scratch"), help="engine to run the model on (default: the run's)")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for the torch engine (default: 1; one short sequence gains nothing from more)")
    parser.set_defaults(func=sample_command)


def sample_command(args: argparse.Namespace) -> int:
    from neuralab.train import RunRecord  # noqa: PLC0415

    task = RunRecord.open(args.run).read_config().get("task")
    if task == "diffusion":
        return sample_diffusion(args)
    if task == "gan":
        return sample_gan(args)
    if task == "vae":
        return sample_vae(args)
    from neuralab.predict_text import continue_text  # noqa: PLC0415

    if args.tokens < 0:
        raise ValueError(f"--tokens must be >= 0; got {args.tokens}")
    if args.threads < 1:
        raise ValueError(f"--threads must be >= 1; got {args.threads}")
    prompt = args.prompt.replace("\\n", "\n")  # let the shell pass a newline as \n
    print(continue_text(args.run, prompt, args.tokens, temperature=args.temperature, top_k=args.top_k, seed=args.seed,
                        engine=args.engine, threads=args.threads)["text"])
    return 0


def sample_diffusion(args: argparse.Namespace) -> int:
    """Draw ``--n`` images (or 2-D points) from a diffusion run into ``--out``."""
    from neuralab.recipes import diffusion  # noqa: PLC0415

    T, model, schedule, config, weights = diffusion.load_trained(args.run, engine=args.engine)
    points = config["data"]["name"] not in diffusion.IMAGE_SETS
    n, classes = _checked(args, T, config, points)
    if args.steps is not None:
        if not 1 <= args.steps <= schedule.steps:
            raise ValueError(f"--steps must be between 1 and the schedule's {schedule.steps} steps; got {args.steps}")
        config["diffusion"]["sampler"] = "ddim"
    if args.guidance is not None:
        if args.guidance < 0 or not classes:
            raise ValueError("--guidance needs a conditional model and a scale >= 0")
        config["diffusion"]["guidance"] = args.guidance

    def draw(count, labels):
        return diffusion.generate_images(T, model, schedule, config, count, seed=args.seed, labels=labels, steps=args.steps)

    real = diffusion.load_training_data(config)[1] if points else None
    return _write(args, config, n, classes, draw, diffusion.sampler_text(config, args.steps), weights, real)


def sample_gan(args: argparse.Namespace) -> int:
    """Draw ``--n`` images (or 2-D points) from a GAN run's generator into ``--out``."""
    from neuralab.recipes import gan  # noqa: PLC0415

    if args.steps is not None or args.guidance is not None:
        raise ValueError("--steps and --guidance set a diffusion sampler; a GAN draws each sample in one pass of its generator")
    T, model, config, weights, prior = gan.load_trained(args.run, engine=args.engine)
    points = config["data"]["name"] not in gan.IMAGE_SETS
    n, classes = _checked(args, T, config, points)

    def draw(count, labels):
        if labels is None and prior is not None:  # a code-conditioned G: codes from its fitted prior
            labels = gan.sample_conditions(count, config, prior, seed=args.seed)
        return gan.generate(T, model, count, config["model"]["noise_dim"], seed=args.seed, labels=labels)

    real = gan.load_training_data(config)[0] if points else None
    return _write(args, config, n, classes, draw, f"generator, {config['gan']['loss']} loss", weights, real)


def sample_vae(args: argparse.Namespace) -> int:
    """Draw ``--n`` decoder means from a VAE run into ``--out``."""
    from neuralab.recipes import vae  # noqa: PLC0415

    if args.steps is not None or args.guidance is not None:
        raise ValueError("--steps and --guidance set a diffusion sampler; a VAE decodes each sample in one pass")
    T, model, config, weights, prior = vae.load_trained(args.run, engine=args.engine)
    n, _ = _checked(args, T, config, points=False)
    if args.prior == "normal":
        prior = None

    def draw(count, _labels):
        return vae.prior_samples(T, model, count, args.seed, prior=prior)

    how = "z ~ N(0, I)" if prior is None else f"z ~ the fitted {len(prior.weights)}-Gaussian mixture"
    return _write(args, config, n, 0, draw, how, weights, None)


def _checked(args: argparse.Namespace, T, config: dict, points: bool) -> tuple[int, int]:
    """``(n, classes)``: ``--n`` (or its default for images or points) and the model's classes,
    with ``--n``, ``--label`` and ``--threads`` checked and the engine's threads set."""
    from neuralab.engines import capabilities  # noqa: PLC0415

    n = args.n if args.n is not None else (POINTS if points else IMAGES)
    classes = config["model"].get("num_classes") or 0
    if n < 1:
        raise ValueError(f"--n must be >= 1; got {n}")
    if args.threads < 1:
        raise ValueError(f"--threads must be >= 1; got {args.threads}")
    if args.label is not None and not 0 <= args.label < classes:
        raise ValueError(f"--label {args.label}: this run's model is unconditional" if not classes
                         else f"--label must be a class in 0..{classes - 1}; got {args.label}")
    if capabilities(T)["threads"]:
        T.set_num_threads(args.threads)
    return n, classes


def _write(args: argparse.Namespace, config: dict, n: int, classes: int, draw, how: str, weights, real) -> int:
    """Write ``draw``'s samples to ``--out``: a scatter beside the ``real`` points (a 2-D set), else
    an image grid; then print what was written."""
    from neuralab.viz.class_grid import plot_class_grid  # noqa: PLC0415
    from neuralab.viz.samples import plot_samples  # noqa: PLC0415

    what = f"digit {args.label}" if args.label is not None else ("one row per class" if classes else "unconditional")
    if real is not None:
        path = plot_samples(real, draw(n, None), args.out, title=f"{config['recipe']}: {n} samples\n({how}, seed {args.seed})")
    else:
        title = f"{config['recipe']}: {n} samples, {what}\n({how}, seed {args.seed})"
        path = plot_class_grid(draw, classes, args.out, title=title, label=args.label, n=n)
    print(f"{path} ({n} {'points' if real is not None else 'images'} from {weights.with_suffix('.safetensors')})")
    return 0

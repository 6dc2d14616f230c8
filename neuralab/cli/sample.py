"""`neuralab sample RUN`: text from a trained language model (`--prompt "ROMEO:" --tokens 500`) or
a grid of images from a diffusion run on MNIST (`--n 64 --label 3 --steps 20 --out grid.png`)."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    """Add the ``sample`` command."""
    parser = subparsers.add_parser("sample", help="generate text from a language-model run or images from a diffusion run",
                                   description="Language models: load RUN's last weights and vocabulary, then continue the "
                                               "prompt. Diffusion runs on images: draw a grid of samples into --out.")
    parser.add_argument("run", help="run folder of a language-model or image-diffusion recipe, e.g. runs/mnist-ddpm-20261121-101500")
    parser.add_argument("--prompt", default="\n", help="text to continue (default: a newline)")
    parser.add_argument("--tokens", type=int, default=500, help="characters to generate (default: 500)")
    parser.add_argument("--temperature", type=float, default=0.8, help="softmax temperature; lower is safer (default: 0.8)")
    parser.add_argument("--top-k", type=int, default=None, help="draw only among the k likeliest characters")
    parser.add_argument("--seed", type=int, default=0, help="seed of the draws (default: 0)")
    images = parser.add_argument_group("images (diffusion runs)")
    images.add_argument("--n", type=int, default=64, help="images to draw (default: 64; a square number makes a square grid)")
    images.add_argument("--label", type=int, default=None, help="conditional models: the class (digit) to draw; "
                        "default: one row per class")
    images.add_argument("--steps", type=int, default=None, help="DDIM steps (default: the run's diffusion.ddim_steps)")
    images.add_argument("--guidance", type=float, default=None, help="classifier-free guidance scale (default: the run's)")
    images.add_argument("--out", default="grid.png", help="PNG to write (default: grid.png)")
    parser.add_argument("--engine", choices=("torch", "scratch"), help="engine to run the model on (default: the run's)")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for the torch engine (default: 1; one short sequence gains nothing from more)")
    parser.set_defaults(func=sample_command)


def sample_command(args: argparse.Namespace) -> int:
    from neuralab.engines import capabilities  # noqa: PLC0415 - keep `neuralab --help` fast
    from neuralab.train import RunRecord  # noqa: PLC0415

    if RunRecord.open(args.run).read_config().get("task") == "diffusion":
        return sample_images(args)
    from neuralab.generative.text import sample_text  # noqa: PLC0415
    from neuralab.recipes.language_model import load_trained  # noqa: PLC0415

    if args.tokens < 0:
        raise ValueError(f"--tokens must be >= 0; got {args.tokens}")
    if args.threads < 1:
        raise ValueError(f"--threads must be >= 1; got {args.threads}")
    T, model, tokenizer, config = load_trained(args.run, engine=args.engine)
    if capabilities(T)["threads"]:
        T.set_num_threads(args.threads)
    prompt = args.prompt.replace("\\n", "\n")  # let the shell pass a newline as \n
    text = sample_text(T, model, tokenizer, prompt, args.tokens, context=config["lm"]["context"],
                       temperature=args.temperature, top_k=args.top_k, seed=args.seed)
    print(text)
    return 0


def sample_images(args: argparse.Namespace) -> int:
    """Draw ``--n`` images from a diffusion run into ``--out``."""
    from neuralab.engines import capabilities  # noqa: PLC0415
    from neuralab.recipes import diffusion  # noqa: PLC0415

    T, model, schedule, config, weights = diffusion.load_trained(args.run, engine=args.engine)
    if capabilities(T)["threads"]:
        T.set_num_threads(args.threads)
    classes = config["model"].get("num_classes") or 0
    if args.n < 1:
        raise ValueError(f"--n must be >= 1; got {args.n}")
    if args.label is not None and not 0 <= args.label < max(classes, 1):
        raise ValueError(f"--label {args.label}: this run's model is unconditional" if not classes
                         else f"--label must be a class in 0..{classes - 1}; got {args.label}")
    if args.steps is not None:
        if not 1 <= args.steps <= schedule.steps:
            raise ValueError(f"--steps must be between 1 and the schedule's {schedule.steps} steps; got {args.steps}")
        config["diffusion"]["sampler"] = "ddim"
    if args.guidance is not None:
        if args.guidance < 0 or not classes:
            raise ValueError("--guidance needs a conditional model and a scale >= 0")
        config["diffusion"]["guidance"] = args.guidance
    what = f"digit {args.label}" if args.label is not None else ("one row per class" if classes else "unconditional")
    title = f"{config['recipe']}: {args.n} samples, {what}\n({diffusion.sampler_text(config, args.steps)}, seed {args.seed})"
    path = diffusion.plot_sample_grid(T, model, schedule, config, args.out, seed=args.seed, title=title, label=args.label,
                                      n=args.n, steps=args.steps)
    print(f"{path} ({args.n} images from {weights.with_suffix('.safetensors')})")
    return 0

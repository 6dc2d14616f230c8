"""`neuralab sample RUN --prompt "ROMEO:" --tokens 500`: text from a trained language model."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    """Add the ``sample`` command."""
    parser = subparsers.add_parser("sample", help="generate text from a trained language-model run",
                                   description="Load RUN's last weights and vocabulary, then continue the prompt.")
    parser.add_argument("run", help="run folder of a language-model recipe, e.g. runs/shakespeare-gpt-20261121-101500")
    parser.add_argument("--prompt", default="\n", help="text to continue (default: a newline)")
    parser.add_argument("--tokens", type=int, default=500, help="characters to generate (default: 500)")
    parser.add_argument("--temperature", type=float, default=0.8, help="softmax temperature; lower is safer (default: 0.8)")
    parser.add_argument("--top-k", type=int, default=None, help="draw only among the k likeliest characters")
    parser.add_argument("--seed", type=int, default=0, help="seed of the draws (default: 0)")
    parser.add_argument("--engine", choices=("torch", "scratch"), help="engine to run the model on (default: the run's)")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for the torch engine (default: 1; one short sequence gains nothing from more)")
    parser.set_defaults(func=sample_command)


def sample_command(args: argparse.Namespace) -> int:
    from neuralab.engines import capabilities  # noqa: PLC0415 - keep `neuralab --help` fast
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

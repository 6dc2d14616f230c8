"""A trained language model continuing a user's prompt (``neuralab predict RUN --prompt TEXT``).

The prompt is given as text or as a UTF-8 ``.txt`` file; the draw is the one ``neuralab sample``
makes (:func:`neuralab.generative.text.sample_text`: temperature, optional top-k, a seeded NumPy
generator), so the same run, prompt and seed give the same text from either command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neuralab.data.pictures import checked_file

MAX_PROMPT_BYTES = 2**20  # a prompt file larger than this is refused before it is read


def read_prompt(path: str | Path) -> str:
    """The text of a prompt file (UTF-8, at most ``MAX_PROMPT_BYTES``)."""
    path = checked_file(path, MAX_PROMPT_BYTES)
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not a UTF-8 text file ({error.reason} at byte {error.start})") from error


def continue_text(run_dir: str | Path, prompt: str, length: int, *, temperature: float = 0.8, top_k: int | None = None,
                  seed: int = 0, engine: str | None = None, threads: int = 1) -> dict[str, Any]:
    """``prompt`` followed by ``length`` characters drawn from the run's model: a dict with the
    ``prompt``, the ``generated`` characters, the whole ``text`` and the settings of the draw."""
    from neuralab.engines import capabilities  # noqa: PLC0415 - engines load torch
    from neuralab.generative.text import sample_text  # noqa: PLC0415
    from neuralab.recipes.language_model import load_trained  # noqa: PLC0415

    if not isinstance(length, int) or length < 0:
        raise ValueError(f"the length must be a whole number of characters >= 0; got {length!r}")
    if threads < 1:
        raise ValueError(f"threads must be >= 1; got {threads}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top-k must be at least 1; got {top_k}")
    if not prompt:
        raise ValueError("the prompt is empty: give at least one character")
    T, model, tokenizer, config = load_trained(run_dir, engine=engine)
    if capabilities(T)["threads"]:
        T.set_num_threads(threads)
    text = sample_text(T, model, tokenizer, prompt, length, context=config["lm"]["context"],
                       temperature=temperature, top_k=top_k, seed=seed)
    return {"run": str(run_dir), "prompt": prompt, "generated": text[len(prompt):], "text": text, "length": length,
            "temperature": temperature, "top_k": top_k, "seed": seed}

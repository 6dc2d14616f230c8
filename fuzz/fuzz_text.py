"""Fuzz the text loaders: a tokenizer's JSON file, a UTF-8 corpus file, the Markdown converter.

The first byte of an input picks the path; the rest is the file:

* 0: ``tokenizer.json`` read by :meth:`CharTokenizer.load`; a tokenizer that loads must
  give back its own characters (``decode(encode(chars)) == chars``);
* 1: a text corpus read by ``shakespeare.load(path=...)``; the tokenizer of an accepted
  corpus must round-trip its train and validation text;
* 2: :func:`shakespeare.markdown_to_text` on the text, which accepts any string.

Documented refusal: ``ValueError`` (``UnknownCharacterError`` is one) naming what was
expected. A regular expression that backtracks for over a second is a hang.
"""

from __future__ import annotations

from fuzz.harness import Target, instrumented, main, scratch_dir

with instrumented():
    from neuralab.data import shakespeare
    from neuralab.data.tokenizer import CharTokenizer

_folder = None


def test_one_input(data: bytes) -> None:
    global _folder
    if not data:
        return
    mode, body = data[0] % 3, data[1:]
    if mode == 2:
        shakespeare.markdown_to_text(body.decode("utf-8", "replace"))
        return
    _folder = _folder or scratch_dir("text")
    path = _folder / ("tokenizer.json" if mode == 0 else "corpus.txt")
    path.write_bytes(body)
    try:
        if mode == 0:
            tokenizer = CharTokenizer.load(path)
            texts = ["".join(tokenizer.chars)]
        else:
            corpus = shakespeare.load(path=path)
            tokenizer = CharTokenizer.from_text(corpus.text)
            texts = [corpus.train, corpus.val]
    except ValueError:
        return
    for text in texts:
        if tokenizer.decode(tokenizer.encode(text)) != text:
            raise AssertionError(f"tokenizer does not round-trip {text[:40]!r}")


def seeds() -> list[bytes]:
    play = ("# ROMEO AND JULIET\n\n## ACT I\n\n_Enter ROMEO._\n\n**ROMEO**\n\nBut, soft! what light "
            "through yonder window breaks?  \nIt is the east, and Juliet is the sun.\n\n**JULIET**\n\n"
            "Ay me! _Aside_ \\[Within\\]_ O Romeo, Romeo!\n\n*Exeunt.*\n")
    text = "ROMEO:\nBut, soft! what light through yonder window breaks?\n\nJULIET:\nAy me!\n\n"
    return [
        b"\x00" + CharTokenizer.from_text(text).to_dict().__repr__().replace("'", '"').encode(),
        b"\x00" + b'{"type": "char", "chars": ["a", "b", "\\u00e9", "\\n"]}',
        b"\x01" + text.encode("utf-8"),
        b"\x01" + "na\u00efve caf\u00e9 \u2014 \U0001f600\n\nend".encode("utf-8"),
        b"\x02" + play.encode("utf-8"),
    ]


TARGET = Target("text", test_one_input, seeds, "ValueError")

if __name__ == "__main__":
    main(TARGET)

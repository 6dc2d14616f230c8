"""The lesson framework: rules decide verdicts, claims are validated, the CLI refuses bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from neuralab import lessons
from neuralab.cli import main
from neuralab.lessons.claims import Claim, all_of, at_least, below, close, fraction, is_true, rule_from_json
from neuralab.lessons import seed_figures
from neuralab.lessons.lesson import Lesson
from neuralab.viz.style import new_figure


@pytest.mark.parametrize("rule, measured, verdict", [
    (close("p", 0.7047, 1e-4), {"p": 0.70474}, "holds"),
    (close("p", 0.7047, 1e-4), {"p": 0.7050}, "fails"),
    (close("p", 0.7047, 1e-4), {"p": float("nan")}, "fails"),
    (at_least("solved", 18), {"solved": 18}, "holds"),
    (below("noisy", "clean"), {"noisy": 0.2, "clean": 0.1}, "fails"),  # compares two measurements
    (is_true("converged"), {"converged": False}, "fails"),
    (fraction("k", "n", holds_at=0.9, fails_at=0.1), {"k": 20, "n": 20}, "holds"),
    (fraction("k", "n", holds_at=0.9, fails_at=0.1), {"k": 10, "n": 20}, "partly"),
    (fraction("k", "n", holds_at=0.9, fails_at=0.1), {"k": 0, "n": 20}, "fails"),
    (all_of(is_true("a"), is_true("b")), {"a": True, "b": True}, "holds"),
    (all_of(is_true("a"), is_true("b")), {"a": True, "b": False}, "partly"),
    (all_of(is_true("a"), is_true("b")), {"a": False, "b": False}, "fails"),
])
def test_rules_decide_verdicts_and_survive_json(rule, measured, verdict):
    assert rule.verdict(measured) == verdict
    assert rule_from_json(json.loads(json.dumps(rule.to_json()))).verdict(measured) == verdict
    assert rule.describe()


def test_a_rule_reading_an_unmeasured_name_says_which():
    with pytest.raises(KeyError, match="'solved', which was not measured"):
        at_least("solved", 18).verdict({"seeds": 20})


def test_claims_need_a_seed_reference_and_a_correction_when_they_do_not_hold():
    with pytest.raises(ValueError, match="seed_ref must look like"):
        Claim("E1", "line 54", "...", {"p": 1.0}, close("p", 1.0, 0.1))
    with pytest.raises(ValueError, match="needs a correction"):
        Claim("E1", "004:54-69", "...", {"p": 0.0}, close("p", 1.0, 0.1))
    made = Claim("E1", "004:54-69, 70; 002:64", "...", {"p": 0.0}, close("p", 1.0, 0.1), correction="it is 0")
    assert made.verdict == "fails"


def test_a_failed_fix_is_a_failed_check(tmp_path):
    lesson = Lesson("demo", out=tmp_path)
    lesson.claim("D3", "004:1010-1070", "the seed's net learns", {"solved": 0}, at_least("solved", 18),
                 correction="it does not", fix=({"solved": 3}, at_least("solved", 18)))
    assert lesson.checks == [{"name": "D3: the corrected version works", "passed": False,
                              "detail": "solved >= 18 on {'solved': 3}"}]


def test_claims_cite_only_saved_figures(tmp_path):
    lesson = Lesson("demo", out=tmp_path)
    path = lesson.figure("curve", new_figure(2, 2))
    assert (tmp_path / path).is_file()
    with pytest.raises(ValueError, match="did not save"):
        lesson.claim("E1", "004:54-69", "...", {"a": True}, is_true("a"), figures=["figures/other.png"])
    with pytest.raises(ValueError, match="lower-case"):
        lesson.figure("Bad Name", new_figure(2, 2))


def test_figures_name_the_seed_figure_types_they_draw(tmp_path, monkeypatch):
    monkeypatch.setitem(seed_figures.NOT_DRAWN, "V57", "a type excused from drawing")
    lesson = Lesson("demo", out=tmp_path)
    path = lesson.figure("boundary", new_figure(2, 2), shows=("V13", "V14"))
    assert lesson.shows == {path: ["V13", "V14"]}
    with pytest.raises(ValueError, match="unknown seed figure ids"):
        lesson.figure("other", new_figure(2, 2), shows="V99")
    with pytest.raises(ValueError, match="NOT_DRAWN"):
        lesson.figure("books", new_figure(2, 2), shows="V57")
    assert "other" not in str(lesson.figures)  # nothing saved for a refused figure


def test_every_lesson_is_described_and_tested():
    here = Path(__file__).parent
    for name in lessons.names():
        about = lessons.about(name)
        assert about["claims"] and about["seconds"] > 0 and about["engines"][0] in ("scratch", "torch"), name
        assert (here / f"test_lesson_{name}.py").is_file(), f"lesson {name} has no test file"


def test_cli_refuses_unknown_lessons_and_globs(capsys):
    assert main(["lesson", "neurom"]) == 2
    assert "did you mean 'neuron'?" in capsys.readouterr().err
    assert main(["verify", "--only", "nothing*"]) == 2
    assert "matches no lesson" in capsys.readouterr().err
    assert main(["verify", "--jobs", "0"]) == 2


def test_lesson_command_prints_claims_and_writes_json(tmp_path, capsys):
    assert main(["lesson", "neuron", "--quick", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "E12" in text and "HOLDS" in text and "rule" in text
    record = json.loads((tmp_path / "neuron" / "lesson.json").read_text())
    assert record["name"] == "neuron" and record["quick"] and record["ok"]
    assert main(["lesson", "neuron", "--quick", "--json", "--out", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["claims"]


def test_notebook_export_keeps_the_cells(tmp_path, capsys):
    path = tmp_path / "neuron.ipynb"
    assert main(["lesson", "neuron", "--notebook", str(path)]) == 0
    notebook = json.loads(path.read_text())
    kinds = [cell["cell_type"] for cell in notebook["cells"]]
    assert "markdown" in kinds and "code" in kinds
    assert main(["lesson", "neuron", "--notebook", str(tmp_path / "neuron.txt")]) == 2
    assert "writes a .ipynb" in capsys.readouterr().err


def test_test_file_names_are_unique_across_folders():
    # pytest imports test modules by basename (no packages here): two test_x.py files break collection.
    names = [path.name for path in Path(__file__).parents[1].rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []

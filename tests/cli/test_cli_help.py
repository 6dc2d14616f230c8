"""`neuralab --help` opens with a whole sentence about the tool (issue #16: it printed a docstring cut mid-line)."""

from __future__ import annotations

import pytest

import neuralab.cli as cli


def test_top_level_help_prints_the_docstrings_whole_first_paragraph(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    printed = " ".join(capsys.readouterr().out.split())  # argparse rewraps the text
    first_paragraph = " ".join(cli.__doc__.split("\n\n", 1)[0].split())
    assert first_paragraph.endswith(".") and first_paragraph in printed
    assert cli.help_summary() == first_paragraph

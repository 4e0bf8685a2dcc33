"""The guards on their own (pure, no app): where a long field is, and how lines are counted."""

from __future__ import annotations

import pytest

from sampling import FrameFormatError, FrameTooLargeError, file_guards, read_frame
from sampling.frame_csv import physical_lines

LONG = "z" * 200_000


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("", 0),
        ("a", 1),
        ("a\n", 1),
        ("a\r\nb\r\n", 2),
        ("a\rb\nc", 3),
        ('a\n"b\nc"\n', 3),  # a quoted field spanning lines counts each
        ("a\n\n\n", 3),  # blank lines are lines
    ],
)
def test_physical_lines_count_cr_lf_and_crlf_ends(text: str, lines: int) -> None:
    assert physical_lines(text) == lines


@pytest.mark.parametrize(
    ("data", "where"),
    [
        pytest.param(
            f'site_id;name;network;region\r\nS1;"a;b";"{LONG}";r\r\n'.encode(),
            "Ligne 2, colonne 3 (« network »)",
            id="after-a-quoted-separator-crlf",
        ),
        pytest.param(
            f'\ufeffsite_id,name,network,region\nS1,n,r,g\nS2,"deux\nlignes",r,g\nS3,n,r,{LONG}\n'.encode(),
            "Ligne 5, colonne 4 (« region »)",
            id="after-a-field-on-two-lines-bom",
        ),
        pytest.param(
            f"site_id;name;network;region\nS1;n;r;g;{LONG}\n".encode(),
            "Ligne 2, colonne 5 :",
            id="beyond-the-header",
        ),
    ],
)
def test_a_long_field_is_named_by_its_physical_line_and_column(data: bytes, where: str) -> None:
    with pytest.raises(FrameFormatError) as refused:
        read_frame(data, "base.csv")
    assert str(refused.value).startswith(where), str(refused.value)


def test_a_field_just_under_the_limit_is_read() -> None:
    name = "n" * 131_072
    result = read_frame(f"site_id;name;network;region\nS1;{name};r;g\n".encode(), "base.csv")
    assert result.sites[0].name == name


def test_the_line_limit_counts_blank_lines_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(file_guards, "MAX_LINES", 3)
    assert len(read_frame(b"site_id;name;network;region\nS1;n;r;g\n\n", "b.csv").sites) == 1
    with pytest.raises(FrameTooLargeError, match="plus de 3 lignes"):
        read_frame(b"site_id;name;network;region\nS1;n;r;g\n\n\n", "b.csv")

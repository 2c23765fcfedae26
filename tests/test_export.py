"""ctrl+s's files: private, never over another file, never through a link."""

from __future__ import annotations


def test_two_exports_in_one_second_keep_both_and_never_follow_a_link(tmp_path) -> None:
    from datetime import UTC, datetime

    from confmon.ui import export

    at = datetime(2026, 12, 8, 1, 2, 3, tzinfo=UTC)
    first = export.write(tmp_path, [], at)
    (tmp_path / "rooms-20261208-010203-2.csv").symlink_to(tmp_path / "elsewhere")  # a trap in a shared directory
    second = export.write(tmp_path, [], at)
    assert first[0].name == "rooms-20261208-010203.csv" and second[0].name == "rooms-20261208-010203-3.csv"
    assert not (tmp_path / "elsewhere").exists()

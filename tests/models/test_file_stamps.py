"""Content stamps: the cache key follows the bytes, not the file's time."""

import os

from models.file_stamps import content_stamp, files_digest


def test_stamps_follow_content_not_time(tmp_path):
    a, b = tmp_path / "a.jpg", tmp_path / "b.jpg"
    a.write_bytes(b"one")
    b.write_bytes(b"two")
    first = files_digest([a, b], salt="x")
    os.utime(a, ns=(0, 0))
    assert files_digest([a, b], salt="x") == first  # touched: the same key
    assert files_digest([b, a], salt="x") != first  # order matters
    assert files_digest([a, b], salt="y") != first  # so does the salt
    a.write_bytes(b"onf")  # same size, other bytes
    assert files_digest([a, b], salt="x") != first
    assert content_stamp(a).startswith("a.jpg:3:")

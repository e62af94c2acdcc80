"""A file's line table (SourceFile.line_starts, summed from line lengths) is where each
line starts: 0 and the byte after every newline, whatever the bytes around them."""

import random

from confcheck.source import SourceFile


def test_line_starts_are_after_every_newline():
    rng = random.Random(5)
    pool = [b"\n", b"\r\n", b"\r", b"x", b"  ", b"\xef\xbb\xbf", b"\xff", b"\x00", b";"]
    texts = [b"", b"\n", b"\n\n", b"a", b"a\n", b"a\nb", b"\r\n"]
    texts += [b"".join(rng.choice(pool) for _ in range(rng.randint(0, 60))) for _ in range(300)]
    for data in texts:
        source = SourceFile("/t/f.conf", data)
        expected = [0] + [i + 1 for i, byte in enumerate(data) if byte == 0x0A]
        assert source.line_starts == expected, data
        for offset in range(len(data) + 1):
            line, _column = source.line_col(offset)
            assert expected[line - 1] <= offset and (line == len(expected) or offset < expected[line]), (data, offset)

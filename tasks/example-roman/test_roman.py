from roman import from_roman, to_roman


def test_round_trip():
    for n in (1, 4, 9, 14, 40, 90, 400, 1994, 2024, 3999):
        assert from_roman(to_roman(n)) == n


def test_examples():
    assert from_roman("MCMXCIV") == 1994
    assert from_roman("XLII") == 42

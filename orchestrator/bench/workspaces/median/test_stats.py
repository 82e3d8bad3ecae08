from stats import mean, median, spread


def test_median():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
    assert median([7]) == 7


def test_others_unchanged():
    assert mean([1, 2, 3]) == 2
    assert spread([5, 1, 9]) == 8

from parens import nesting_depths


def test_docstring_example():
    assert nesting_depths("(()()) ((())) () ((())()())") == [2, 3, 1, 3]


def test_single_and_deep_groups():
    assert nesting_depths("()") == [1]
    assert nesting_depths("(((())))") == [4]
    assert nesting_depths("(()(())((())))") == [4]


def test_no_groups():
    assert nesting_depths("") == []

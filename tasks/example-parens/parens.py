"""Parenthesis groups."""


def nesting_depths(text):
    """The deepest nesting level of each group of parentheses in text.

    Groups are separated by spaces; each is balanced. "(()())" nests 2 deep, "((()))" 3 deep, "()" 1 deep.
    >>> nesting_depths("(()()) ((())) () ((())()())")
    [2, 3, 1, 3]
    """
    raise NotImplementedError

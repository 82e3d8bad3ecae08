"""Small statistics helpers."""


def mean(values):
    """The arithmetic mean of a non-empty list of numbers."""
    return sum(values) / len(values)


def median(values):
    """The middle value of a non-empty list of numbers (the mean of the two middle ones for an even count)."""
    raise NotImplementedError("median")


def spread(values):
    """The largest value minus the smallest."""
    return max(values) - min(values)

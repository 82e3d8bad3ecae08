import pytest

from inventory import remove, restock_list, total_items


def test_restock_list_includes_the_threshold():
    assert restock_list({"pens": 3, "ink": 10, "paper": 1}) == ["paper", "pens"]


def test_unchanged():
    assert total_items({"a": 2, "b": 5}) == 7
    assert remove({"a": 2}, "a", 2) == {"a": 0}
    with pytest.raises(ValueError):
        remove({"a": 1}, "a", 2)

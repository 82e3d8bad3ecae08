from app.slugify import slugify


def test_basic_title():
    assert slugify("Hello, World!") == "hello-world"


def test_accents_are_folded():
    assert slugify("Crème brûlée") == "creme-brulee"


def test_max_length():
    assert len(slugify("a" * 200)) == 80


def test_truncation_does_not_leave_dash():
    assert slugify("abc def", max_length=4) == "abc"

import pytest

from slugs import slugify


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("  Many   spaces  ", "many-spaces"),
        ("Crème brûlée for 4", "creme-brulee-for-4"),
        ("C++ & Rust: a comparison", "c-rust-a-comparison"),
        ("---", ""),
    ],
)
def test_slugify(title, slug):
    assert slugify(title) == slug


def test_a_long_slug_is_cut_at_a_whole_word():
    assert slugify("one two three four", max_length=13) == "one-two-three"
    assert slugify("one two three four", max_length=12) == "one-two"


def test_a_first_word_too_long_is_cut():
    assert slugify("Supercalifragilistic", max_length=5) == "super"

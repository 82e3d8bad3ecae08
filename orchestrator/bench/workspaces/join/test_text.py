from text import join_words, shout


def test_default_separator():
    assert join_words(["a", "", "b"]) == "a b"


def test_custom_separator():
    assert join_words(["a", "b", "", "c"], sep="-") == "a-b-c"


def test_shout_unchanged():
    assert shout("hi") == "HI!"

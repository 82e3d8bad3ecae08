"""Text helpers."""


def join_words(words):
    """The words joined by single spaces, empty words left out."""
    return " ".join(word for word in words if word)


def shout(text):
    """The text in upper case with an exclamation mark."""
    return text.upper() + "!"

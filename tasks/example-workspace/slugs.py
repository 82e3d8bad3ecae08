"""URL slugs for blog post titles."""


def slugify(title: str, max_length: int = 60) -> str:
    """Return the URL slug of ``title``.

    The slug is lowercase ASCII letters and digits, its words joined by single hyphens, with no hyphen at
    either end. Accented letters lose their accents ("Crème" -> "creme"); every other character only
    separates words. A slug longer than ``max_length`` is cut at the last whole word that fits; when not
    even the first word fits, that word is cut to ``max_length`` characters.
    """
    raise NotImplementedError

"""Load settings from an INI-style file into a flat dict."""
import configparser
from pathlib import Path


class ConfigError(Exception):
    pass


def load_settings(path: Path) -> dict[str, str]:
    """Read "section.key" pairs; the file's DEFAULT section is ignored."""
    parser = configparser.ConfigParser(interpolation=None)
    if not parser.read(path, encoding="utf-8"):
        raise ConfigError(f"can't read settings file: {path}")
    settings: dict[str, str] = {}
    for section in parser.sections():
        for key, value in parser.items(section, raw=True):
            settings[f"{section}.{key}"] = value
    return settings

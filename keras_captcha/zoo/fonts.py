"""The fonts the zoo draws with: every TrueType and OpenType file of the machine's font folders.

Debian's font packages put them under `/usr/share/fonts` (the README's style zoo section
names them; the tests need no more than the machine has). Fonts that cannot draw the zoo's
characters are left out; with none at all, Pillow's own font stands in.
"""

import functools
import pathlib

from PIL import ImageFont

FONT_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts")
#: Characters every font the zoo uses must draw.
REQUIRED = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+-=?"
#: Families left out: symbols, or glyphs no captcha uses. D050000L is URW's Dingbats, whose
#: pictures sit at the Latin letters' code points. Hairline, thin and extra-light weights draw
#: strokes under a pixel wide at captcha sizes: glyphs no one, and no label, could read.
SKIPPED = ("Math", "Symbol", "Emoji", "Dingbat", "D050000L", "ExtraLight", "Thin", "Hairline")


@functools.lru_cache(maxsize=1)
def font_paths(folders=FONT_FOLDERS):
    """The usable font files, sorted (an empty tuple when there are none)."""
    found = []
    for folder in folders:
        for path in sorted(pathlib.Path(folder).rglob("*")):
            if path.suffix.lower() in (".ttf", ".otf") and not any(word in path.name for word in SKIPPED):
                if _draws_everything(str(path)):
                    found.append(str(path))
    return tuple(found)


def _draws_everything(path):
    try:
        font = ImageFont.truetype(path, 24)
    except OSError:
        return False
    empty = font.getbbox("\uffff")
    return all(font.getbbox(char) != empty for char in "0aAz?+")


@functools.lru_cache(maxsize=8192)
def load_font(path, size):
    """A loaded font of `path` (None: Pillow's own) at `size` pixels, cached.

    Laid out by FreeType alone (`Layout.BASIC`), not HarfBuzz: the zoo draws one character at a
    time, which needs no shaping, and measures and renders it twice as fast. A few unhinted
    glyphs come out a pixel narrower or wider than HarfBuzz's advance gives them."""
    if path is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)

"""What a captcha style is, as data: one `Style` per site-like look, each knob a range sampled per image.

The presets name the phenomena real sites use (colours, polarity, contrast,
noise, distortion, encoding), not any one site. `MIXED` samples every knob
anew for each image: what a general reader trains on.
"""

import dataclasses

from keras_captcha.zoo.text import DIGITS, LOWER, UPPER

BACKGROUNDS = ("light", "pastel", "dark", "gradient", "noise")
INKS = ("dark", "light", "per_char", "pale")


@dataclasses.dataclass(frozen=True)
class Style:
    """How one kind of captcha looks. Pairs are (low, high) ranges sampled per image; tuples of names
    are choices. `ink` "light" and "dark" are taken against the background (light text on dark)."""

    name: str
    width: tuple = (120, 200)
    height: tuple = (36, 64)
    length: tuple = (4, 6)
    alphabet: str = DIGITS + LOWER
    arithmetic: float = 0.0  # probability the text is an expression (`14+18=?`), not a string
    background: tuple = ("light",)
    ink: tuple = ("dark",)
    font_size: tuple = (0.55, 0.8)  # of the height
    mixed_fonts: float = 0.0  # probability each character has a font of its own
    rotation: float = 10.0  # degrees, each character
    warp: float = 0.0  # sine warp amplitude, of the height: columns shifted up and down
    ripple: float = 0.0  # the same across: rows shifted left and right, amplitude of the height
    shear: float = 0.0  # degrees, each glyph slanted by up to this much either way
    stretch: float = 0.0  # each glyph's width scaled by 1 - stretch to 1 + stretch
    blur: float = 0.0  # probability of a Gaussian blur of the whole captcha
    spacing: tuple = (0.85, 1.05)  # advance over the glyph width; below 1 overlaps
    boxes: float = 0.0  # probability a character sits in a box
    lines: tuple = (0, 2)
    line_width: tuple = (1, 2)  # pixels
    curves: tuple = (0, 1)
    curve_width: tuple = (1, 3)  # pixels
    dots: tuple = (0, 0)  # per 1,000 pixels
    grid: float = 0.0  # probability of a grid
    binary: float = 0.0  # probability of a 1-bit image
    jpeg: float = 0.0  # probability of a JPEG file (else PNG)
    jpeg_quality: tuple = (20, 70)


STYLES = {style.name: style for style in (
    Style("plain", lines=(0, 1), curves=(0, 0)),
    Style("pastel_scribbles", alphabet=DIGITS + LOWER + UPPER, background=("pastel",), curves=(2, 4),
          rotation=15),
    Style("colour_chars", alphabet=LOWER + UPPER, ink=("per_char",), lines=(3, 8), font_size=(0.7, 0.9)),
    Style("dark_background", alphabet=DIGITS, background=("dark", "light"), ink=("light", "dark"),
          length=(4, 5), spacing=(0.65, 0.85), curves=(2, 4), font_size=(0.8, 0.95)),
    Style("low_contrast", background=("light", "pastel"), ink=("pale",), dots=(3, 8), rotation=20),
    Style("crossing_curves", alphabet=DIGITS + LOWER + UPPER, width=(180, 250), height=(60, 80), ink=("dark",),
          warp=0.08, curves=(4, 8), lines=(0, 0), rotation=12),
    Style("boxed_arithmetic", arithmetic=1.0, alphabet=DIGITS + "+-x*×=?", width=(150, 250), boxes=0.9,
          rotation=25, spacing=(0.95, 1.15)),
    Style("binary_fonts", alphabet=DIGITS, binary=1.0, mixed_fonts=1.0, lines=(0, 0), curves=(0, 0), dots=(1, 4),
          width=(60, 110), height=(20, 36), length=(4, 4)),
    Style("blurred_overlap", background=("light", "noise"), spacing=(0.55, 0.8), stretch=0.3, shear=15, blur=1.0,
          curves=(1, 2), curve_width=(2, 5), lines=(0, 1), line_width=(2, 4), dots=(0, 3)),
    Style("rippled", alphabet=DIGITS + LOWER + UPPER, ink=("dark", "pale"), warp=0.06, ripple=0.05, shear=10,
          curves=(1, 4), curve_width=(1, 4), rotation=15),
    Style("jpeg_noise", background=("noise", "gradient"), ink=("dark", "per_char"), jpeg=1.0, jpeg_quality=(20, 60),
          dots=(2, 6)),
    Style("grid_overlap", alphabet=UPPER + DIGITS, grid=1.0, spacing=(0.6, 0.8), rotation=20, length=(5, 8)),
)}

#: Presets the general reader (`tools/train_general_reader.py`) never trains on: the styles
#: `benchmarks/real_styles.py` measures it on as sites it has not seen.
HELD_OUT = ("colour_chars", "crossing_curves", "boxed_arithmetic")

#: Every knob sampled anew per image, over the range the presets span.
MIXED = Style(
    "mixed", width=(60, 250), height=(20, 80), length=(3, 8), alphabet=DIGITS + LOWER + UPPER, arithmetic=0.1,
    background=BACKGROUNDS, ink=INKS, mixed_fonts=0.2, rotation=25, warp=0.06, ripple=0.03, shear=20, stretch=0.25,
    blur=0.25, spacing=(0.55, 1.15), boxes=0.15, lines=(0, 6), line_width=(1, 3), curves=(0, 6), curve_width=(1, 4),
    dots=(0, 6), grid=0.1, binary=0.1, jpeg=0.3, jpeg_quality=(15, 95),
)

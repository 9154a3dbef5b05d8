"""One zoo captcha: `draw(style, rng)` -> (PIL image, label, encoding).

The steps, each sampled from the style: the text; each glyph on a tile of
its own (boxed or not), rotated, to be pasted left to right (overlapping
when the spacing is below 1); a background, widened when the text needs it;
a colour per character against it; lines, curves, dots and grids; sine
warps down and across; a blur; 1-bit or JPEG encoding. A knob a style leaves
at zero draws nothing from the generator, so adding one keeps the other
styles' images as they were.
"""

import colorsys
import functools
import io
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from keras_captcha.zoo.fonts import font_paths, load_font
from keras_captcha.zoo.text import expression, random_text

#: The smallest font size, as a share of the canvas height, that a long text is shrunk to. A text
#: that needs more room widens the canvas instead, as a site sizes its canvas to its longest text:
#: shrunk further, a 13-character expression drew 8-pixel glyphs no one could read.
MIN_FONT_SIZE = 0.45
#: The share of the canvas width a text fills at most, before it shrinks or the canvas widens.
FILL = 0.9
#: Glyphs that are one another turned by 45 degrees: `+`, and `x` or `×`. Turned 22.5 degrees,
#: either is halfway to the other and no one can tell which the label names, so these turn at
#: most `TURN_ALIKE_ROTATION` degrees (the style's rotation range, scaled down to it).
TURN_ALIKE = "+x×"
TURN_ALIKE_ROTATION = 10.0
#: Lines, curves, dots and grids: the share drawn in one of the text's inks, and the lightness range of the others.
MARK_INK, MARK_LIGHTNESS = 0.6, (0.2, 0.8)


def draw(style, rng, fonts=None):
    """One captcha of `style` -> `(image, label, encoding)`.

    `rng` is a `numpy.random.Generator`; `fonts` font paths (default: the
    machine's). The canvas is `style.width` wide, or wider when the text
    does not fit at `MIN_FONT_SIZE`. `image` is RGB, or mode "1" for a 1-bit
    one; `encoding` is `{"format": "PNG"}` or `{"format": "JPEG", "quality": q}`,
    how to save it.
    """
    fonts = fonts if fonts is not None else (font_paths() or (None,))
    width, height = int(rng.integers(*_span(style.width))), int(rng.integers(*_span(style.height)))
    if rng.random() < style.arithmetic:
        label = expression(rng)
    else:
        label = random_text(rng, style.alphabet, int(rng.integers(*_span(style.length))))
    font_choice = [fonts[int(rng.integers(len(fonts)))]] * len(label)
    if rng.random() < style.mixed_fonts:
        font_choice = [fonts[int(rng.integers(len(fonts)))] for _ in label]
    tiles, spacing = _glyphs(label, font_choice, style, width, height, rng)
    width = max(width, math.ceil(_extent(tiles, spacing) / FILL))
    background = str(rng.choice(style.background))
    canvas, base = _background(background, width, height, rng)
    inks = _inks(str(rng.choice(style.ink)), base, len(label), rng)
    _paste(canvas, tiles, inks, spacing, rng)
    _noise(canvas, style, inks, rng)
    if style.warp or style.ripple:
        pixels = np.asarray(canvas)
        if style.warp:
            pixels = _warp(pixels, style.warp * height * rng.random(), rng)
        if style.ripple:
            pixels = _warp(pixels, style.ripple * height * rng.random(), rng, across=True)
        canvas = Image.fromarray(pixels)
    if style.blur and rng.random() < style.blur:
        canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0) * height / 40))
    if rng.random() < style.binary:
        return _one_bit(canvas, base), label, {"format": "PNG"}
    if rng.random() < style.jpeg:
        return canvas, label, {"format": "JPEG", "quality": int(rng.integers(*_span(style.jpeg_quality)))}
    return canvas, label, {"format": "PNG"}


def encode(image, encoding):
    """The file bytes of a drawn captcha, saved as its `encoding` says (PNG at zlib level 1, the fastest)."""
    buffer = io.BytesIO()
    options = {key.lower(): value for key, value in encoding.items()}
    image.save(buffer, **options, **({"compress_level": 1} if options["format"] == "PNG" else {}))
    return buffer.getvalue()


def _span(pair):
    """(low, high) inclusive -> numpy's (low, high + 1)."""
    return pair[0], pair[1] + 1


def _colour(hue, lightness, saturation):
    return tuple(int(255 * c) for c in colorsys.hls_to_rgb(hue, lightness, saturation))


def _background(kind, width, height, rng):
    """(RGB canvas, its mean luminance 0-255)."""
    if kind == "dark":
        colour = _colour(rng.random(), rng.uniform(0.08, 0.3), rng.uniform(0.2, 0.9))
    elif kind == "pastel":
        colour = _colour(rng.random(), rng.uniform(0.8, 0.93), rng.uniform(0.4, 0.9))
    else:
        colour = _colour(rng.random(), rng.uniform(0.88, 1.0), rng.uniform(0.0, 0.3))
    if kind == "gradient":
        other = np.array(_colour(rng.random(), rng.uniform(0.6, 0.95), rng.uniform(0.2, 0.8)), np.float32)
        ramp = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
        pixels = np.full((height, width, 3), colour, np.float32) * (1 - ramp) + other * ramp
    elif kind == "noise":
        noise = rng.normal(0, rng.uniform(10, 35), (height, width, 1)).astype(np.float32)
        pixels = np.full((height, width, 3), colour, np.float32) + noise
    else:  # one colour: its mean is the canvas's, to the last bit
        return Image.new("RGB", (width, height), colour), float(np.mean(colour))
    pixels = np.clip(pixels, 0, 255).astype(np.uint8)
    luminance = float(pixels.mean())
    return Image.fromarray(pixels, "RGB"), luminance


def _inks(kind, base, count, rng):
    """One RGB colour per character, against a background of luminance `base`."""
    light_background = base > 110
    if kind == "pale":  # low contrast: a little darker (or lighter) than the background
        shift = rng.uniform(0.15, 0.3) * (-1 if light_background else 1)
        lightness = min(max(base / 255 + shift, 0.0), 1.0)
        return [_colour(rng.random(), lightness, rng.uniform(0, 0.4))] * count
    if kind == "per_char":
        band = (0.15, 0.55) if light_background else (0.6, 0.95)
        return [_colour(rng.random(), rng.uniform(*band), rng.uniform(0.5, 1.0)) for _ in range(count)]
    band = (0.0, 0.3) if light_background else (0.75, 1.0)  # "dark" or "light": whichever contrasts
    return [_colour(rng.random(), rng.uniform(*band), rng.uniform(0, 0.6))] * count


def _glyphs(label, fonts, style, width, height, rng):
    """The glyph tiles of `label` for a `width` x `height` canvas, and their spacing.

    The font size is sampled from the style and shrunk, down to
    `MIN_FONT_SIZE` of the height, until the upright glyphs fit; rotation
    and boxes widen the tiles beyond that measure, so the row may still be
    wider than `width` (`draw` widens the canvas), and tiles taller than the
    canvas are shrunk to its height.
    """
    size = max(int(height * rng.uniform(*style.font_size)) // 2 * 2, 8)  # even sizes: half the fonts to load
    smallest = smallest_font_size(height)
    spacing = rng.uniform(*style.spacing)
    for _ in range(6):  # shrink until the text fits, measured before anything is drawn
        widths = [_glyph_width(char, load_font(font, size)) for char, font in zip(label, fonts)]
        if sum(widths) * spacing <= width * FILL or size <= smallest:
            break
        size = max(int(size * width * 0.88 / (sum(widths) * spacing)) // 2 * 2, smallest)
    tiles = [_tile(char, load_font(font, size), style, rng) for char, font in zip(label, fonts)]
    return _fit_height(tiles, height), spacing


def smallest_font_size(height):
    """The font size, in pixels, below which `draw` widens a canvas `height` tall instead of shrinking its text."""
    return max(int(height * MIN_FONT_SIZE) // 2 * 2, 8)  # even, as every sampled size


def _paste(canvas, tiles, inks, spacing, rng):
    """Pastes the tiles left to right in their inks, at a random start and height jitter within the canvas."""
    width, height = canvas.size
    x = rng.uniform(0, max(width - _extent(tiles, spacing), 0))
    for tile, ink in zip(tiles, inks):
        top = (height - tile.size[1]) / 2 + rng.uniform(-0.12, 0.12) * height
        top = min(max(top, 0), height - tile.size[1])
        canvas.paste(Image.new("RGB", tile.size, ink), (int(x), int(top)), tile)
        x += tile.size[0] * spacing


def _extent(tiles, spacing):
    """The width the row of `tiles` covers: each advances `spacing` times its width, the last its whole width."""
    return sum(tile.size[0] * spacing for tile in tiles[:-1]) + tiles[-1].size[0]


def _fit_height(tiles, height):
    """`tiles` shrunk alike, when needed, so that the tallest (rotated, boxed) one fits the canvas height."""
    scale = min(1.0, height / max(tile.size[1] for tile in tiles))
    if scale == 1.0:
        return tiles
    return [tile.resize((max(int(tile.size[0] * scale), 1), max(int(tile.size[1] * scale), 1)), Image.BILINEAR)
            for tile in tiles]


def _glyph_width(char, font):
    left, top, right, bottom = _bbox(char, font)
    return right - left + 2 * _margin(bottom - top)


def _margin(glyph_height):
    """The blank around a glyph on its tile: a sixth of its height, at least 2 pixels."""
    return max(glyph_height // 6, 2)


@functools.lru_cache(maxsize=65536)
def _bbox(char, font):
    """`font.getbbox(char)` of a loaded font, measured once."""
    return font.getbbox(char)


@functools.lru_cache(maxsize=16384)
def _glyph_mask(char, font):
    """An upright "L" mask of one glyph of a loaded `font` with its `_margin`, drawn once: a stream
    draws the same glyph at the same size again and again. Shared, so never drawn on."""
    left, top, right, bottom = _bbox(char, font)
    margin = _margin(bottom - top)
    mask = Image.new("L", (right - left + 2 * margin, bottom - top + 2 * margin), 0)
    ImageDraw.Draw(mask).text((margin - left, margin - top), char, fill=255, font=font)
    return mask


def _tile(char, font, style, rng):
    """An "L" mask of one glyph (in a box, sometimes), stretched, slanted and rotated as the style says."""
    tile = _glyph_mask(char, font)
    if rng.random() < style.boxes:
        left, top, right, bottom = _bbox(char, font)
        tile = tile.copy()
        ImageDraw.Draw(tile).rectangle((0, 0, tile.size[0] - 1, tile.size[1] - 1), outline=255,
                                       width=max(_margin(bottom - top) // 2, 1))
    if style.stretch:
        scale = rng.uniform(1 - style.stretch, 1 + style.stretch)
        tile = tile.resize((max(round(tile.size[0] * scale), 1), tile.size[1]), Image.BILINEAR)
    if style.shear:
        tile = _slant(tile, math.tan(math.radians(rng.uniform(-style.shear, style.shear))))
    angle = turn(char, style, rng)
    return tile.rotate(angle, resample=Image.BILINEAR, expand=True) if angle else tile


def _slant(tile, slope):
    """`tile` sheared, widened to fit: each row `slope` pixels further right than the row below it."""
    width, height = tile.size
    offset = -max(slope, 0) * height  # the source column of the output's left edge at the top row
    return tile.transform((width + math.ceil(abs(slope) * height), height), Image.AFFINE,
                          (1, slope, offset, 0, 1, 0), resample=Image.BILINEAR)


def turn(char, style, rng):
    """The angle, in degrees, one glyph of `char` is turned: uniform within the style's rotation,
    or within `TURN_ALIKE_ROTATION` for a glyph of `TURN_ALIKE`."""
    angle = rng.uniform(-style.rotation, style.rotation)
    if char in TURN_ALIKE and style.rotation > TURN_ALIKE_ROTATION:
        angle *= TURN_ALIKE_ROTATION / style.rotation
    return angle


def _noise(canvas, style, inks, rng):
    width, height = canvas.size
    pen = ImageDraw.Draw(canvas)

    def colour():
        return inks[int(rng.integers(len(inks)))] if rng.random() < MARK_INK else _colour(rng.random(), rng.uniform(*MARK_LIGHTNESS), rng.random())

    for _ in range(int(rng.integers(*_span(style.lines)))):
        points = [(rng.uniform(0, width), rng.uniform(0, height)) for _ in range(2)]
        pen.line(points, fill=colour(), width=int(rng.integers(*_span(style.line_width))))
    for _ in range(int(rng.integers(*_span(style.curves)))):
        phase, periods = rng.uniform(0, 2 * math.pi), rng.uniform(0.5, 2.5)
        middle, amplitude = rng.uniform(0.2, 0.8) * height, rng.uniform(0.1, 0.4) * height
        xs = np.linspace(-5, width + 5, 40)
        ys = middle + amplitude * np.sin(phase + xs / width * 2 * math.pi * periods)
        pen.line(list(zip(xs.tolist(), ys.tolist())), fill=colour(), width=int(rng.integers(*_span(style.curve_width))))
    _dots(pen, (width, height), int(rng.integers(*_span(style.dots)) * width * height / 1000), inks, rng)
    if rng.random() < style.grid:
        step, fill = int(rng.integers(6, 16)), colour()
        for x in range(int(rng.integers(step)), width, step):
            pen.line([(x, 0), (x, height)], fill=fill)
        for y in range(int(rng.integers(step)), height, step):
            pen.line([(0, y), (width, y)], fill=fill)


def _dots(pen, size, count, inks, rng):
    """`count` one-pixel dots anywhere on `pen`'s canvas of `size` (width, height), each in one of the
    inks or a colour of its own, as `_noise`'s other marks; drawn from the generator all at once."""
    places = np.stack([rng.integers(size[0], size=count), rng.integers(size[1], size=count)], axis=1).tolist()
    inked, ink_indices = rng.random(count) < MARK_INK, rng.integers(len(inks), size=count)
    own = zip(rng.random(count), rng.uniform(*MARK_LIGHTNESS, count), rng.random(count))  # hue, lightness, saturation
    for place, use_ink, ink, colour in zip(places, inked, ink_indices, own):
        pen.point(tuple(place), fill=inks[ink] if use_ink else _colour(*colour))


def _one_bit(canvas, base):
    """Black ink on white, whatever the polarity: pixels on the ink's side of the mean are black."""
    gray = np.asarray(canvas.convert("L"))
    white = gray >= gray.mean() if base > 110 else gray < gray.mean()
    return Image.fromarray(white).convert("1")


def _warp(pixels, amplitude, rng, across=False):
    """`pixels` (height, width, 3) with each column shifted up or down along a sine of random period and
    phase, the edge rows repeated where a column moves off them; `across`: each row left or right."""
    height, width = pixels.shape[:2]
    along, lines = (width, height) if across else (height, width)  # shifted along `along`, one shift per line
    period, phase = rng.uniform(0.6, 2.0) * lines, rng.uniform(0, 2 * math.pi)
    shift = np.round(amplitude * np.sin(2 * math.pi * np.arange(lines) / period + phase)).astype(int)
    source = np.clip(np.arange(along)[:, None] - shift[None, :], 0, along - 1)  # (along, lines)
    if across:  # pixel (y, x) reads (y, x - shift[y])
        index = np.arange(height)[:, None] * width + source.T
    else:  # pixel (y, x) reads (y - shift[x], x)
        index = source * width + np.arange(width)[None, :]
    flat = pixels.reshape(height * width, -1)  # one flat index per pixel: 5x faster than pixels[rows, columns]
    return flat.take(index.ravel(), axis=0).reshape(pixels.shape)

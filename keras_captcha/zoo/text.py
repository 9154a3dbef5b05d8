"""What a zoo captcha says: random strings of an alphabet, or arithmetic expressions as sites draw them."""

DIGITS = "0123456789"
LOWER = "abcdefghijklmnopqrstuvwxyz"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: The operators arithmetic captchas draw, as drawn (`x`, `*` and `×` all multiply).
OPERATORS = "+-x*×"


def random_text(rng, alphabet, length):
    """`length` characters drawn uniformly from `alphabet` (`rng`: a `numpy.random.Generator`)."""
    return "".join(rng.choice(list(alphabet), size=length))


def expression(rng, operators=OPERATORS, ending_probability=0.6):
    """An arithmetic captcha's text: numbers 0-99 joined by 1 to 3 operators (most often 1),
    sometimes ending in `=?` or `=`: `14+18=?`, `7x3`, `40-9+2=`."""
    count = int(rng.choice([1, 2, 3], p=[0.7, 0.2, 0.1]))
    parts = [str(int(rng.integers(0, 100)))]
    for _ in range(count):
        parts += [str(rng.choice(list(operators))), str(int(rng.integers(0, 100)))]
    text = "".join(parts)
    if rng.random() < ending_probability:
        text += "=?" if rng.random() < 0.7 else "="
    return text

"""The style zoo: seeded synthetic text captchas in the styles real sites use (NumPy and Pillow, no TensorFlow).

    from keras_captcha.zoo import STYLES, generate
    for image, label in generate(STYLES["dark_background"], count=10, seed=0):
        image.save(f"{label}.png")

`styles` holds what a style is (`Style`: sizes, lengths, alphabet, colours,
noise, distortion, encoding) and the named presets; `text` the labels (random
strings, arithmetic expressions); `fonts` the fonts found on the machine;
`draw` renders one captcha; `generate` makes many, in parallel, into a
folder with a `labels.csv` that `train --data` reads.
"""

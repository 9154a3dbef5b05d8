from keras_captcha.training.input_width import width_for_labels


def test_short_labels_keep_the_width():
    assert width_for_labels([("a.png", "abcde"), ("b.png", "7x3+12")], 128, 4) == 128
    assert width_for_labels([], 128, 4) == 128


def test_a_long_label_widens_the_input_to_three_steps_a_character():
    assert width_for_labels([("a.png", "62×71-85+30=?")], 128, 4) == 160  # 13 x 3 x 4 = 156, to 16s
    assert width_for_labels([("a.png", "1"), ("b.png", "62×71-85+30")], 128, 4) == 144  # 132
    assert width_for_labels([("a.png", "62×71-85+30")], 128, 2) == 128  # 66: two columns a step


def test_the_input_widens_at_most_twice():
    assert width_for_labels([("IMG_20231012_123456.png", "IMG_20231012_123456")], 128, 4) == 240  # 228, to 16s
    assert width_for_labels([("a.png", "x" * 40)], 128, 4) == 256  # 480, capped

"""`python -m keras_captcha.cli`: the `keras-captcha` command."""

import sys

from keras_captcha.cli import main

sys.exit(main())

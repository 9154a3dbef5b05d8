import socket

import pytest

from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.listening import address, bound_port, listening_socket


def test_port_zero_is_bound_to_a_free_port_that_then_takes_connections():
    with listening_socket("127.0.0.1", 0) as sock:
        port = bound_port(sock)
        assert port > 0
        sock.listen()
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass


def test_a_port_in_use_is_one_error_naming_the_address(taken_port):
    with pytest.raises(CaptchaError, match=rf"^cannot listen on 127\.0\.0\.1:{taken_port}: Address already in use$"):
        listening_socket("127.0.0.1", taken_port)


def test_a_host_that_is_not_a_name_is_one_error_naming_it():
    with pytest.raises(CaptchaError, match=r"cannot listen on no-such-host\.invalid:8000: "):
        listening_socket("no-such-host.invalid", 8000)


def test_an_ipv6_address_is_written_in_brackets():
    assert address("::1", 8000) == "[::1]:8000"
    assert address("127.0.0.1", 8000) == "127.0.0.1:8000"

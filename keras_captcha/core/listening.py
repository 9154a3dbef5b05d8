"""Where a local server listens (`serve`, the labelling page): the socket is bound before anything starts,
so an address the system refuses is one line, not a server that starts and dies."""

import socket

from keras_captcha.core.errors import CaptchaError


def listening_socket(host, port):
    """A TCP socket bound to `host`:`port` (port 0: any free one) for uvicorn to serve on.

    `CaptchaError` naming the address when the system refuses it: a port in
    use or reserved, a host that is not this machine's or not a name.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:  # socket.gaierror (a host that is not a name) is one too
        sock.close()
        raise CaptchaError(f"cannot listen on {address(host, port)}: {error.strerror or error}") from None
    sock.set_inheritable(True)  # uvicorn's worker processes serve on it too
    return sock


def address(host, port):
    """`host:port` as a URL writes it (`[::1]:8000` for IPv6)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def bound_port(sock):
    """The port `sock` is bound to: the one the system chose for port 0."""
    return sock.getsockname()[1]

"""TLS to a remote server: verified by default, a private CA only through ``remote.ca_file``.

A real HTTPS server on 127.0.0.1 with a certificate from a throwaway CA (trustme): the OS
trust store does not know that CA, so the client must refuse it with a message that names the
fix, and accept it once the CA file is configured. Verification is never switched off.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from assist.remote.client import RemoteClient, RemoteConfig
from assist.remote.errors import RemoteError
from tests.fault_server import TEXT, FaultServer, running


class TLSFaultServer(FaultServer):
    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__()
        self.context = context

    def get_request(self) -> tuple[socket.socket, object]:
        sock, addr = super().get_request()
        sock.settimeout(5)
        return self.context.wrap_socket(sock, server_side=True), addr


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server(ca: trustme.CA) -> Iterator[TLSFaultServer]:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    with running(TLSFaultServer(ctx)) as srv:
        yield srv


def url(srv: FaultServer, case: str) -> str:
    return f"https://127.0.0.1:{srv.server_address[1]}/{case}"


def test_an_unknown_ca_is_refused_with_the_fix_named(server: TLSFaultServer) -> None:
    client = RemoteClient(RemoteConfig(url(server, "normal"), "m", deadline=5, connect_retries=0))
    with pytest.raises(RemoteError) as e:
        "".join(client.stream([{"role": "user", "content": "hi"}]))
    assert e.value.kind == "tls"
    assert "remote.ca_file" in e.value.message


def test_the_configured_ca_file_is_trusted(
    server: TLSFaultServer, ca: trustme.CA, tmp_path: Path
) -> None:
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    cfg = RemoteConfig(url(server, "normal"), "m", deadline=5, ca_file=str(pem))
    with RemoteClient(cfg) as client:
        assert "".join(client.stream([{"role": "user", "content": "hi"}])) == TEXT


def test_a_missing_ca_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RemoteError) as e:
        RemoteClient(RemoteConfig("https://x/v1", "m", ca_file=str(tmp_path / "nope.pem")))
    assert e.value.kind == "tls" and "nope.pem" in e.value.message

"""ngx_http_get_forwarded_addr as realip.py reads it (facts from nginx 1.22's source; the
real-server scenarios in tests/realserver/scenarios/nginx/realip.yaml check the same against nginx)."""

from __future__ import annotations

import ipaddress

import pytest

from confcheck.servers.nginx.realip import forwarded_addr, parse_addr_port

NETS = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32")]
CLIENT = ipaddress.ip_address("127.0.0.1")


@pytest.mark.parametrize("value, recursive, expected", [
    ("1.2.3.4", False, "1.2.3.4"),
    ("1.2.3.4, 5.6.7.8", False, "5.6.7.8"),
    ("1.2.3.4, 10.0.0.2", False, "10.0.0.2"),
    ("1.2.3.4, 10.0.0.2", True, "1.2.3.4"),
    ("1.2.3.4, 5.6.7.8, 10.0.0.2", True, "5.6.7.8"),
    ("10.0.0.3,10.0.0.2", True, "10.0.0.3"),
    ("junk, 10.0.0.2", True, "10.0.0.2"),
    ("5.6.7.8 , ,", False, "5.6.7.8"),
    ("5.6.7.8:8080", False, "5.6.7.8"),
    ("[2001:db8::1]:443", False, "2001:db8::1"),
    ("2001:db8::1", False, "2001:db8::1"),
    ("010.1.2.3", False, "10.1.2.3"),
    ("unknown", False, None),
    ("5.6.7.8:0", False, None),
    ("[2001:db8::1]", False, None),
    ("", False, None),
])
def test_forwarded_addr(value, recursive, expected):
    found = forwarded_addr(CLIENT, value, NETS, recursive)
    assert (str(found) if found is not None else None) == expected


def test_an_untrusted_client_is_never_replaced():
    assert forwarded_addr(ipaddress.ip_address("192.0.2.1"), "1.2.3.4", NETS, True) is None


def test_parse_addr_port_refuses_what_nginx_refuses():
    assert parse_addr_port("1.2.3") is None and parse_addr_port("1.2.3.256") is None
    assert str(parse_addr_port("1.2.3.4:65535")) == "1.2.3.4"

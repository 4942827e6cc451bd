"""Open binding: without sign-in, only the server's own computer may change data. People on other
computers get the analysis pages as viewers, a notice saying so, and no Data page; the server
says so once at start. Unit tests of the decision, AppTest with a faked client address, and a
real server bound to 0.0.0.0 reached through this machine's own network address."""

from __future__ import annotations

import socket

import pytest
from app_support import run
from browser_support import VIEWPORT, running_dashboard, settle, wait_until_idle
from streamlit.testing.v1 import AppTest

from gapmodel.core import settings
from gapmodel.core.settings import PROJECT_ROOT
from gapmodel.storage.store import Store
from ui import auth
from ui.auth import ANALYST, VIEWER, exposure_warning, is_loopback, role_without_sign_in
from ui.store import open_store

REMOTE_NOTICE = "You are viewing from another computer, without sign-in"


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        (None, True),  # how Streamlit reports a loopback client
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("192.168.1.20", False),
        ("10.0.0.1", False),
        ("fd00::2", False),
        ("::ffff:192.0.2.2", False),
        ("0.0.0.0", False),
        ("not an address", False),
        ("", False),
    ],
)
def test_is_loopback(address, loopback):
    assert is_loopback(address) is loopback


CLIENTS = {"none": None, "ipv4 loopback": "127.0.0.1", "ipv6 loopback": "::1", "lan": "192.0.2.7"}


@pytest.mark.parametrize("client", list(CLIENTS))
@pytest.mark.parametrize("login", [False, True])
@pytest.mark.parametrize("allow", [False, True])
def test_role_without_sign_in(client, login, allow):
    role = role_without_sign_in(CLIENTS[client], login, allow)
    if login:
        assert role is None  # the signed-in account decides
    elif client == "lan" and not allow:
        assert role == VIEWER
    else:
        assert role == ANALYST


@pytest.mark.parametrize(
    ("address", "login", "allow", "says"),
    [
        ("127.0.0.1", False, False, None),
        ("localhost", False, False, None),
        ("::1", False, False, None),
        ("0.0.0.0", True, False, None),  # sign-in configured: roles come from accounts
        ("0.0.0.0", False, False, "listens on 0.0.0.0 without sign-in: people on other"),
        ("", False, False, "listens on every network interface without sign-in"),
        (None, False, False, "listens on every network interface without sign-in"),
        ("192.0.2.2", False, True, "GAPMODEL_ALLOW_REMOTE_ANALYSTS is on: anyone"),
    ],
)
def test_exposure_warning(address, login, allow, says):
    text = exposure_warning(address, login, allow)
    if says is None:
        assert text is None
    else:
        assert says in text and "Configure sign-in" in text


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("yes", True), ("0", False), ("", False)])
def test_the_setting(monkeypatch, raw, value):
    monkeypatch.setenv("GAPMODEL_ALLOW_REMOTE_ANALYSTS", raw)
    assert settings.get("allow_remote_analysts") is value


def test_the_setting_refuses_other_words(monkeypatch):
    monkeypatch.setenv("GAPMODEL_ALLOW_REMOTE_ANALYSTS", "maybe")
    with pytest.raises(ValueError, match="must be 1 or 0"):
        settings.get("allow_remote_analysts")


# -- AppTest: the client's address faked -----------------------------------------------------
def _titles(at) -> list[str]:
    return [t.value for t in at.title]


def test_a_remote_client_views_but_gets_no_data_page(demo_copy, monkeypatch):
    monkeypatch.setenv("GAPMODEL_DB", str(demo_copy))
    monkeypatch.setattr(auth, "client_address", lambda: "192.0.2.50")
    at = run()
    assert not at.exception
    assert REMOTE_NOTICE in at.sidebar.info[-1].value
    notes = [i.value for i in at.sidebar.info]  # the demo note sends nobody to a missing page
    assert "An analyst replaces them" in notes[0] and not any("Data page" in n for n in notes)
    assert "Where service falls short" in _titles(at)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("ui/pages/data.py")  # not in this user's page list
    for page in ("ui/pages/segments.py", "ui/pages/trends.py"):  # the analysis pages serve
        at.switch_page(page).run()
        assert not at.exception and at.title
    # The Data page's own check, should it ever be reached: it refuses before drawing anything.
    data = AppTest.from_file(str(PROJECT_ROOT / "ui/pages/data.py"), default_timeout=60).run()
    assert "Survey data" not in _titles(data)
    assert "only be changed on the computer that runs" in data.error[0].value
    assert len(open_store(str(demo_copy.resolve())).wave_labels()) == 3  # nothing changed


def test_a_remote_client_is_an_analyst_when_the_setting_allows(demo_copy, monkeypatch):
    monkeypatch.setenv("GAPMODEL_DB", str(demo_copy))
    monkeypatch.setenv("GAPMODEL_ALLOW_REMOTE_ANALYSTS", "1")
    monkeypatch.setattr(auth, "client_address", lambda: "192.0.2.50")
    at = run("ui/pages/data.py")
    assert not at.exception
    assert "Survey data" in _titles(at)
    assert not any(REMOTE_NOTICE in i.value for i in at.sidebar.info)
    assert "upload a wave on the Data page" in at.sidebar.info[0].value


def test_a_local_client_is_the_local_analyst(demo_copy, monkeypatch):
    monkeypatch.setenv("GAPMODEL_DB", str(demo_copy))
    at = run("ui/pages/data.py")
    assert not at.exception
    assert "Survey data" in _titles(at)
    assert any("Local analyst (analyst)" in c.value for c in at.sidebar.caption)


# -- A real server on 0.0.0.0 ------------------------------------------------------------------
def _own_address(family: socket.AddressFamily = socket.AF_INET) -> str | None:
    """This machine's address on its network (not loopback), or None without one."""
    target = ("192.0.2.254", 9) if family == socket.AF_INET else ("2001:db8::254", 9)
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(target)  # no packet is sent: only picks the route
        except OSError:
            return None
        address = sock.getsockname()[0]
    return None if is_loopback(address) else address


def _open(chromium, url: str, headers: dict | None = None):
    """A fresh browser on ``url`` (sending ``headers`` with every request), once it is drawn."""
    context = chromium.new_context(viewport=VIEWPORT, extra_http_headers=headers or {})
    page = context.new_page()
    page.goto(url)
    settle(page)
    return context, page


def _sidebar(page) -> str:
    return page.get_by_test_id("stSidebar").inner_text()


@pytest.mark.browser
def test_a_server_on_all_interfaces_serves_data_only_to_this_computer(chromium, demo_copy):
    address = _own_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    with running_dashboard(demo_copy, address="0.0.0.0") as local:
        remote = local.replace("127.0.0.1", address)
        context, page = _open(chromium, remote)
        assert REMOTE_NOTICE in _sidebar(page)
        assert page.get_by_role("link", name="Data").count() == 0
        page.goto(f"{remote}/data")  # by its address: not served
        wait_until_idle(page)
        page.get_by_role("heading", name="Where service falls short").wait_for()
        assert page.get_by_test_id("stFileUploaderDropzone").count() == 0
        context.close()
        # A remote client cannot pass for this computer by a header (only a proxy on this
        # computer is believed) ...
        context, page = _open(chromium, remote, {"X-Forwarded-For": "127.0.0.1"})
        assert REMOTE_NOTICE in _sidebar(page)
        context.close()
        # ... and a proxy on this computer that names the client makes it remote.
        context, page = _open(chromium, local, {"X-Forwarded-For": "203.0.113.9"})
        assert REMOTE_NOTICE in _sidebar(page)
        context.close()

        context, page = _open(chromium, f"{local}/data")  # this computer, meanwhile
        page.get_by_test_id("stFileUploaderDropzone").first.wait_for()
        assert REMOTE_NOTICE not in _sidebar(page)
        context.close()
        log = demo_copy.with_suffix(".log").read_text()
    assert log.count("WARNING gapmodel listens on 0.0.0.0 without sign-in") == 1, log
    with Store.open(demo_copy, read_only=True) as store:
        assert len(store.wave_labels()) == 3


@pytest.mark.browser
def test_the_setting_lets_remote_analysts_in_and_the_server_says_so(chromium, demo_copy):
    address = _own_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    env = {"GAPMODEL_ALLOW_REMOTE_ANALYSTS": "1"}
    with running_dashboard(demo_copy, address="0.0.0.0", env=env) as local:
        context, page = _open(chromium, f"{local.replace('127.0.0.1', address)}/data")
        page.get_by_test_id("stFileUploaderDropzone").first.wait_for()
        assert REMOTE_NOTICE not in _sidebar(page)
        context.close()
        log = demo_copy.with_suffix(".log").read_text()
    assert log.count("GAPMODEL_ALLOW_REMOTE_ANALYSTS is on: anyone") == 1, log


@pytest.mark.browser
def test_ipv6_a_server_on_all_interfaces_serves_data_only_to_this_computer(chromium, demo_copy):
    address = _own_address(socket.AF_INET6)
    if address is None:
        pytest.skip("this machine has no IPv6 address besides loopback")
    with running_dashboard(demo_copy, address="::") as local:
        port = local.rsplit(":", 1)[1]
        context, page = _open(chromium, f"http://[{address}]:{port}")
        assert REMOTE_NOTICE in _sidebar(page)
        assert page.get_by_role("link", name="Data").count() == 0
        context.close()
        context, page = _open(chromium, f"http://[::1]:{port}/data")
        page.get_by_test_id("stFileUploaderDropzone").first.wait_for()
        assert REMOTE_NOTICE not in _sidebar(page)
        context.close()
        log = demo_copy.with_suffix(".log").read_text()
    assert log.count("WARNING gapmodel listens on :: without sign-in") == 1, log

"""Who is using the dashboard, and may they change data?

With ``st.login`` configured (an ``[auth]`` section in ``.streamlit/secrets.toml``), users sign in
and their role comes from ``[gapmodel]`` in the secrets: ``analysts`` (a list of e-mail
addresses) or ``analyst_group`` matched against the ``groups`` claim. Everyone else signed in
is a viewer.

Without ``[auth]`` the dashboard runs for one local analyst: whoever opens it on the server's own
computer may upload and delete waves. Anyone who reaches it from another computer (the server
bound to ``0.0.0.0``, say) only views the analysis pages, unless the setting
``GAPMODEL_ALLOW_REMOTE_ANALYSTS=1`` says otherwise. The client's address is the connection's
peer as Streamlit reports it (``st.context.ip_address``: ``None`` for a loopback connection);
behind a reverse proxy on the same computer every client looks local unless the proxy sends
``X-Forwarded-For`` (honoured from 127.0.0.1 by Streamlit's server), so configure sign-in there.
"""

from __future__ import annotations

import ipaddress
import sys
from dataclasses import dataclass

import streamlit as st

from gapmodel.core import settings

ANALYST, VIEWER = "analyst", "viewer"
LOCAL_ANALYST, REMOTE_VIEWER = "Local analyst", "Viewer on the network"


@dataclass(frozen=True)
class User:
    name: str
    role: str

    @property
    def is_analyst(self) -> bool:
        return self.role == ANALYST


def _secrets_section(name: str) -> dict:
    try:
        return dict(st.secrets.get(name, {}))
    except FileNotFoundError:  # no secrets file at all
        return {}


def login_configured() -> bool:
    """True when ``[auth]`` is present in the secrets."""
    return bool(_secrets_section("auth"))


def is_loopback(address: str | None) -> bool:
    """True for a loopback address (``127.0.0.0/8``, ``::1``, ``::ffff:127.0.0.1``, ``localhost``)
    and for None, which is how Streamlit reports a loopback client (and a test run without one).

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback(None), is_loopback("10.0.0.5")
    (True, True, True, False)
    """
    if address is None or address.strip().lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def role_without_sign_in(client: str | None, login: bool, allow_remote: bool) -> str | None:
    """The role of a client when nobody signs in; None when sign-in is configured (the role then
    comes from the signed-in account).

    Parameters
    ----------
    client : str or None
        The client's IP address (``st.context.ip_address``; None for a loopback client).
    login : bool
        Whether ``st.login`` is configured.
    allow_remote : bool
        The setting ``allow_remote_analysts``.

    Examples
    --------
    >>> role_without_sign_in("192.168.1.20", False, False), role_without_sign_in(None, False, False)
    ('viewer', 'analyst')
    """
    if login:
        return None
    return ANALYST if allow_remote or is_loopback(client) else VIEWER


def server_exposed(address: str | None) -> bool:
    """True when the server listens beyond this computer: any address but a loopback one (an
    empty ``server.address`` makes Streamlit listen on every interface)."""
    return not address or not is_loopback(address)


def exposure_warning(address: str | None, login: bool, allow_remote: bool) -> str | None:
    """What the server's log says when it listens on the network without sign-in (None: no
    warning)."""
    if login or not server_exposed(address):
        return None
    where = f"on {address}" if address else "on every network interface"
    if allow_remote:
        said = (
            "and GAPMODEL_ALLOW_REMOTE_ANALYSTS is on: anyone who can reach this port can "
            "upload and delete survey waves."
        )
    else:
        said = (
            "people on other computers can view the analysis pages but not upload or delete "
            "waves (the Data page is served to this computer only)."
        )
    return (
        f"WARNING gapmodel listens {where} without sign-in: {said} Configure sign-in ([auth] "
        "in .streamlit/secrets.toml, see the README) or bind to 127.0.0.1."
    )


@st.cache_resource(show_spinner=False)
def warn_if_exposed() -> None:
    """Once per server process: print :func:`exposure_warning` on the server's standard error."""
    text = exposure_warning(
        st.get_option("server.address"), login_configured(), settings.get("allow_remote_analysts")
    )
    if text:
        print(text, file=sys.stderr, flush=True)


def client_address() -> str | None:
    """The IP address of this session's client; None for a loopback client (and in AppTest,
    whose stand-in client has no address)."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None


def current_user() -> User | None:
    """The signed-in user with their role; None when sign-in is required but not done. Without
    sign-in: an analyst on this computer, a viewer elsewhere (:func:`role_without_sign_in`)."""
    if not login_configured():
        role = role_without_sign_in(client_address(), False, settings.get("allow_remote_analysts"))
        return User(LOCAL_ANALYST if role == ANALYST else REMOTE_VIEWER, role)
    if not st.user.is_logged_in:
        return None
    email = str(st.user.get("email") or "").lower()
    config = _secrets_section("gapmodel")
    analysts = {str(a).lower() for a in config.get("analysts", [])}
    groups = st.user.get(config.get("groups_claim", "groups")) or []
    if isinstance(groups, str):
        groups = [groups]
    group = config.get("analyst_group")
    role = ANALYST if email in analysts or (group and group in groups) else VIEWER
    return User(str(st.user.get("name") or email or "Signed-in user"), role)


def require_analyst() -> None:
    """Stop the script unless the current user is an analyst (checked again before writes)."""
    user = current_user()
    if user is None or not user.is_analyst:
        if user is not None and user.name == REMOTE_VIEWER:
            st.error(
                "Survey data can only be changed on the computer that runs the dashboard, or "
                "after signing in. Open the dashboard there, or ask an administrator to set up "
                "sign-in. Nothing was changed."
            )
        else:
            st.error("Only analysts can change survey data. Ask an administrator for access.")
        st.stop()

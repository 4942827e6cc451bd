"""Who is using the dashboard, and may they change data?

With ``st.login`` configured (an ``[auth]`` section in ``.streamlit/secrets.toml``), users sign in
and their role comes from ``[gapmodel]`` in the secrets: ``analysts`` (a list of e-mail
addresses) or ``analyst_group`` matched against the ``groups`` claim. Everyone else signed in
is a viewer. Without ``[auth]`` the dashboard runs for one local analyst.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

ANALYST, VIEWER = "analyst", "viewer"


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


def current_user() -> User | None:
    """The signed-in user with their role; None when sign-in is required but not done."""
    if not login_configured():
        return User("Local analyst", ANALYST)
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
        st.error("Only analysts can change survey data. Ask an administrator for access.")
        st.stop()

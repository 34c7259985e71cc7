"""Who may use the web app, and proof that a form came from it.

- Auth: with a token (`ADLOC_WEB_TOKEN`), every request needs HTTP basic auth whose password is the
  token (the user name is the reviewer's name) or `Authorization: Bearer TOKEN`. Without one the
  app only serves 127.0.0.1 / ::1 (`adloc serve` refuses another bind address).
- CSRF: a random cookie per browser (SameSite=Strict, HttpOnly) and, in every form, its HMAC
  under the app's secret; a POST without both, or with a wrong pair, is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from adloc.errors import AdlocError

CSRF_COOKIE = "adloc_csrf"
CSRF_FIELD = "csrf"


class Refused(AdlocError):
    """A request the app will not serve at the HTTP level (sign-in, CSRF, limits): its `status`,
    a message for the person, and the headers the answer needs (e.g. WWW-Authenticate)."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.headers = status, headers or {}


@dataclass(frozen=True)
class Guard:
    token: str | None = None
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def user(self, authorization: str | None) -> str | None:
        """The signed-in user's name (None without a token: a local app has no sign-in).
        Raises Refused(401) when a token is set and the request does not carry it."""
        if not self.token:
            return None
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), self.token.encode()):
            return "api"
        if scheme.lower() == "basic":
            try:
                name, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                name, password = "", ""
            if hmac.compare_digest(password.encode(), self.token.encode()):
                return name.strip() or "reviewer"
        raise Refused(401, "sign in: the user name is yours, the password is the team's token",
                      {"WWW-Authenticate": 'Basic realm="adloc", charset="UTF-8"'})

    def csrf_for(self, cookie: str) -> str:
        return hmac.new(self.secret, cookie.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, cookie: str | None, sent: str | None) -> None:
        if not cookie or not sent or not sent.isascii() or not hmac.compare_digest(self.csrf_for(cookie), sent):
            raise Refused(403, "this form has expired or did not come from this app: reload the page and send it again")


def new_cookie() -> str:
    return secrets.token_urlsafe(24)


LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")

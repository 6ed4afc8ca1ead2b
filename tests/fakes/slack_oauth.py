"""OAuth v2 installation, as a member's browser and Slack's authorize page do it.

`install()` GETs the app's install page (bolt's /slack/install) keeping cookies, follows its
"Add to Slack" link to the fake's /oauth/v2/authorize (client_id and scopes checked), which
answers with a redirect to the app's redirect URI carrying ?code=&state=; the app then
exchanges the code with oauth.v2.access (client credentials checked, code single-use and
valid 10 minutes) and gets the workspace's bot token. The workspace counts as installed from
the moment its code is exchanged."""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
from aiohttp import web
from yarl import URL

from fakes.slack_api import ApiError
from fakes.slack_world import FakeSlackError, FakeUser, FakeWorkspace

if TYPE_CHECKING:
    from fakes.slack_api import Call
    from fakes.slack_fake import FakeSlack

CODE_LIFETIME = 600.0
SESSION_COOKIE = "d"  # the name of Slack's own session cookie
_HREF = re.compile(r"""href=["']([^"']+)["']""")


@dataclass
class Session:
    """A member signed in to Slack in the browser `install()` drives."""

    user: FakeUser
    default_redirect: str


@dataclass
class Grant:
    """An authorization code the authorize page handed out."""

    code: str
    user: FakeUser
    scopes: list[str]
    user_scopes: list[str]
    redirect_uri: str | None
    issued: float
    used: bool = False


def _scopes(raw: str | None) -> list[str]:
    return [s.strip() for s in (raw or "").split(",") if s.strip()]


class OAuth:
    """The authorize page and the code exchange of one FakeSlack."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.sessions: dict[str, Session] = {}
        self.grants: dict[str, Grant] = {}
        self.user_tokens: dict[str, FakeWorkspace] = {}

    async def authorize(self, request: web.Request) -> web.Response:
        """GET /oauth/v2/authorize: the member approves; redirect to the app with a code."""
        fake = self.fake
        session = self.sessions.get(request.cookies.get(SESSION_COOKIE, ""))
        if session is None:
            return web.Response(status=401, text="not signed in to the fake Slack")
        query = request.query
        problem: str | None = None
        if query.get("client_id") != fake.client_id:
            problem = "invalid_client_id"
        elif not _scopes(query.get("scope")) and not _scopes(query.get("user_scope")):
            problem = "invalid_scope"
        elif query.get("team") and query.get("team") != session.user.workspace.id:
            problem = "invalid_team"
        if problem is not None:
            fake.error(f"oauth authorize: {problem} ({dict(query)})")
            return web.Response(status=400, text=problem, content_type="text/html")
        code = f"{fake.ids.number()}.{fake.ids.number()}.{secrets.token_hex(32)}"
        redirect_uri = query.get("redirect_uri") or None
        self.grants[code] = Grant(
            code=code,
            user=session.user,
            scopes=_scopes(query.get("scope")),
            user_scopes=_scopes(query.get("user_scope")),
            redirect_uri=redirect_uri,
            issued=fake.now(),
        )
        target = redirect_uri or session.default_redirect
        separator = "&" if "?" in target else "?"
        location = target + separator + urlencode({"code": code, "state": query.get("state", "")})
        return web.Response(status=302, headers={"Location": location})

    def exchange(self, call: Call) -> dict[str, Any]:
        """oauth.v2.access: a code for the workspace's bot token."""
        fake = self.fake
        args = call.args
        client_id, client_secret = args.get("client_id"), args.get("client_secret")
        if call.basic_auth is not None:
            client_id, client_secret = call.basic_auth
        if client_id != fake.client_id:
            raise ApiError("invalid_client_id", f"client_id {client_id!r} is not the app's")
        if client_secret != fake.client_secret:
            raise ApiError("bad_client_secret", "wrong client_secret")
        code = args.get("code")
        grant = self.grants.get(code) if isinstance(code, str) else None
        if grant is None:
            raise ApiError("invalid_code", f"unknown code {code!r}")
        if grant.used:
            raise ApiError("invalid_code", "the code was already exchanged (codes are single-use)")
        if fake.now() - grant.issued > CODE_LIFETIME:
            raise ApiError("invalid_code", "the code expired (10 minutes)")
        if grant.redirect_uri is not None and args.get("redirect_uri") != grant.redirect_uri:
            raise ApiError("bad_redirect_uri", "redirect_uri differs from the authorize request's")
        grant.used = True
        workspace = grant.user.workspace
        workspace.installed = True
        workspace.installer = grant.user
        if grant.scopes:
            workspace.scopes = list(grant.scopes)
        call.record.workspace = workspace
        fake.state.fire()
        authed_user: dict[str, Any] = {"id": grant.user.id}
        if grant.user_scopes:
            user_token = f"xoxp-{fake.ids.number()}-{secrets.token_urlsafe(24)}"
            self.user_tokens[user_token] = workspace
            authed_user.update(
                {
                    "scope": ",".join(grant.user_scopes),
                    "access_token": user_token,
                    "token_type": "user",
                }
            )
        return {
            "app_id": fake.app_id,
            "authed_user": authed_user,
            "scope": ",".join(workspace.scopes),
            "token_type": "bot",
            "access_token": workspace.bot_token,
            "bot_user_id": workspace.bot_user.id,
            "team": {"id": workspace.id, "name": workspace.name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    async def install(
        self,
        workspace: FakeWorkspace,
        install_path_url: str,
        *,
        user: FakeUser | None = None,
        redirect_url: str | None = None,
    ) -> None:
        """Drive the install flow as `user`'s browser would (see the module docstring)."""
        fake = self.fake
        if workspace not in fake.workspaces:
            raise FakeSlackError(f"{workspace!r} is not a workspace of this fake")
        installer = (
            user
            or workspace.primary_owner
            or next(
                (u for u in workspace.users if u.is_admin),
                workspace.users[0] if workspace.users else None,
            )
        )
        if installer is None:
            raise FakeSlackError(f"{workspace.name} has no member to install the app")
        if installer.workspace is not workspace:
            raise FakeSlackError(f"{installer.name} is not a member of {workspace.name}")
        app_origin = URL(install_path_url).origin()
        redirect = redirect_url or str(app_origin.with_path("/slack/oauth_redirect"))
        key = secrets.token_urlsafe(24)
        self.sessions[key] = Session(installer, redirect)
        # bolt's aiohttp adapter marks its state cookie Secure: treat the app's loopback
        # origins (install page and redirect, which replicas may serve) as secure, as
        # browsers do for localhost.
        jar = aiohttp.CookieJar(
            unsafe=True, treat_as_secure_origin=[app_origin, URL(redirect).origin()]
        )
        jar.update_cookies({SESSION_COOKIE: key}, URL(fake.base_url))
        try:
            async with aiohttp.ClientSession(cookie_jar=jar) as browser:
                link = await self._install_link(browser, install_path_url)
                async with browser.get(link, allow_redirects=False) as answer:
                    if answer.status != 302:
                        raise FakeSlackError(
                            f"the authorize page refused: {answer.status} {await answer.text()}"
                        )
                    callback = answer.headers["Location"]
                code = parse_qs(urlsplit(callback).query).get("code", [""])[0]
                async with browser.get(callback, allow_redirects=False) as answer:
                    status, text = answer.status, await answer.text()
        finally:
            del self.sessions[key]
        grant = self.grants.get(code)
        if grant is None or not grant.used:
            raise FakeSlackError(
                f"the app never exchanged the code; its redirect answered {status}: {text[:300]}"
            )
        if status >= 400:
            raise FakeSlackError(f"the app's redirect answered {status}: {text[:300]}")

    async def _install_link(self, browser: aiohttp.ClientSession, install_path_url: str) -> str:
        async with browser.get(install_path_url, allow_redirects=False) as answer:
            if answer.status in (301, 302, 303, 307, 308):
                links = [answer.headers.get("Location", "")]
            elif answer.status == 200:
                links = [html.unescape(h) for h in _HREF.findall(await answer.text())]
            else:
                raise FakeSlackError(
                    f"the install page answered {answer.status}: {(await answer.text())[:300]}"
                )
        authorize = self.fake.authorize_url
        link = next((h for h in links if h.startswith(authorize + "?")), None)
        if link is None:
            raise FakeSlackError(
                f"the install page links to {links}, not to {authorize} "
                "(bolt: AsyncOAuthSettings(authorization_url=fake.authorize_url))"
            )
        return link

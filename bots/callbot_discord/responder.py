"""Answer one interaction: run the core service in time, then send what it replied.

Every command, click, pick and form goes through `Responder`, which keeps Discord's rules:
the first response comes within 3 seconds (a slow service is deferred and answered with a
follow-up), there is exactly one of it, a modal is only ever a first response, mentions are
always off, and no exception escapes into discord.py: a failure becomes an apology with a
reference id that is also in the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import discord
from discord import app_commands

from callbot import services
from callbot.core import Core
from callbot.errors import apology, problem
from callbot.replies import Actor, Reply, continues_card, form_as_button, with_choice
from callbot.services.dispatch import STALE
from callbot.workload import Workload
from callbot_discord.actors import PLATFORM, actor_from_interaction
from callbot_discord.components import is_core_component
from callbot_discord.render import render, render_modal

log = logging.getLogger(__name__)

#: How long after receipt an answer may take before we defer; Discord's own deadline is 3 s.
RESPONSE_BUDGET = 2.0
UNKNOWN_INTERACTION = 10062
#: An interaction apparently older than this means our clock is off, not that it waited.
CLOCK_SKEW_LIMIT = 30.0

NOT_IN_A_SERVER = problem("callbot works inside a server: use its commands there.")
#: What the member sees in the private "thinking" message when the answer went to everyone.
POSTED_PUBLICLY = Reply(text="Posted in this channel for everyone.")
OUTDATED_COMMAND = problem(
    "That command has changed since Discord last heard about it. Try again in a minute, "
    "or type /help."
)

Service = Callable[[Actor], Awaitable[Reply]]


def submitted_values(components: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Field id -> text from a modal submission (action rows or labels around text inputs)."""
    values: dict[str, str] = {}
    for component in components:
        kind = component.get("type")
        if kind == discord.ComponentType.action_row.value:
            values.update(submitted_values(component.get("components") or ()))
        elif kind == discord.ComponentType.label.value and component.get("component"):
            values.update(submitted_values((component["component"],)))
        elif kind == discord.ComponentType.text_input.value and component.get("custom_id"):
            values[str(component["custom_id"])] = str(component.get("value") or "")
    return values


def _age(interaction: discord.Interaction[Any]) -> float:
    """Seconds since Discord created the interaction (its id says when): time spent reaching
    us, in a busy event loop included, counts against the deadline. Zero if the clocks
    disagree too much to tell."""
    age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
    return age if 0 <= age <= CLOCK_SKEW_LIMIT else 0.0


def _on_private_message(interaction: discord.Interaction[Any]) -> bool:
    message = interaction.message
    return message is not None and message.flags.ephemeral


def interaction_data(interaction: discord.Interaction[Any]) -> Mapping[str, Any]:
    """The raw `data` of an interaction (custom id, values, form components)."""
    return interaction.data or {}


class Responder:
    """Runs services for the client's interactions. One per client; holds the core."""

    def __init__(
        self, core: Core, *, budget: float = RESPONSE_BUDGET, workload: Workload | None = None
    ) -> None:
        self.core = core
        self.budget = budget
        self.workload = workload or Workload()

    async def on_command(
        self,
        interaction: discord.Interaction[Any],
        command: str,
        service: Service,
        *,
        reopen: str | None = None,
    ) -> None:
        """A slash command; `reopen` is a component id that asks again for a late form."""
        await self._answer(
            interaction, service, context={"command": command}, reopen=reopen, card=None
        )

    async def on_component(
        self, interaction: discord.Interaction[Any], custom_id: str, choice: str | None
    ) -> None:
        """A button press or a select choice on any message, however old."""

        async def service(actor: Actor) -> Reply:
            return await services.handle_component(
                self.core, actor, custom_id, interaction_id=str(interaction.id), choice=choice
            )

        await self._answer(
            interaction,
            service,
            context={"component": custom_id, "choice": choice},
            reopen=with_choice(custom_id, choice),
            card=custom_id if _on_private_message(interaction) else None,
        )

    async def on_modal(self, interaction: discord.Interaction[Any]) -> None:
        """A submitted form. Handled from the raw payload, so it works after a restart."""
        data = interaction_data(interaction)
        custom_id = str(data.get("custom_id", ""))
        if not is_core_component(custom_id):
            await self.on_stale(interaction)
            return
        values = submitted_values(data.get("components") or ())

        async def service(actor: Actor) -> Reply:
            return await services.handle_component(
                self.core, actor, custom_id, interaction_id=str(interaction.id), values=values
            )

        await self._answer(
            interaction,
            service,
            context={"form": custom_id, "fields": sorted(values)},
            reopen=None,
            card=custom_id if _on_private_message(interaction) else None,
        )

    async def on_stale(self, interaction: discord.Interaction[Any]) -> None:
        """A click or form from something the core no longer routes."""

        async def service(actor: Actor) -> Reply:
            return problem(STALE)

        await self._answer(
            interaction,
            service,
            context={"stale": str(interaction_data(interaction).get("custom_id", ""))},
            reopen=None,
            card=None,
        )

    async def on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """A command that failed before or outside its callback (the tree's `on_error`)."""
        context = self._context(interaction, {"command": interaction_data(interaction).get("name")})
        if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
            log.warning("outdated command %s", context)
            reply = OUTDATED_COMMAND
        elif isinstance(error, app_commands.NoPrivateMessage):
            reply = NOT_IN_A_SERVER
        else:
            reply = apology(log, error, platform=PLATFORM, **context)
        await self._deliver(interaction, reply, card=None, reopen=None, context=context)

    def _context(
        self, interaction: discord.Interaction[Any], extra: Mapping[str, object]
    ) -> dict[str, object]:
        return {
            "guild": interaction.guild_id,
            "user": interaction.user.id if interaction.user else None,
            "interaction": interaction.id,
            **extra,
        }

    async def _answer(
        self,
        interaction: discord.Interaction[Any],
        service: Service,
        *,
        context: Mapping[str, object],
        reopen: str | None,
        card: str | None,
    ) -> None:
        """Run `service` for the interaction and send its reply. `card` is the id of the
        component clicked or submitted when it came from a private card the answer may replace."""
        with self.workload.tracking():
            deadline = asyncio.get_running_loop().time() + self.budget - _age(interaction)
            full_context = self._context(interaction, context)
            actor = actor_from_interaction(interaction)
            if actor is None:
                reply = NOT_IN_A_SERVER
            else:
                try:
                    reply = await self._in_time(
                        interaction, self.workload.run(service, actor), deadline, full_context
                    )
                except Exception as exc:
                    reply = apology(log, exc, platform=PLATFORM, **full_context)
            await self._deliver(interaction, reply, card=card, reopen=reopen, context=full_context)

    async def _in_time(
        self,
        interaction: discord.Interaction[Any],
        work: Awaitable[Reply],
        deadline: float,
        context: Mapping[str, object],
    ) -> Reply:
        """The service's reply. If it will not come before `deadline` (a queue of services
        ahead), or does not, defer first and keep waiting for it."""
        task = asyncio.ensure_future(work)
        remaining = deadline - asyncio.get_running_loop().time()
        if self.workload.likely_within(remaining):
            try:
                # shield: the deadline must not cancel the work, only hurry the answer.
                return await asyncio.wait_for(asyncio.shield(task), remaining)
            except TimeoutError:
                log.warning("service slower than %.1fs, deferring: %s", self.budget, context)
            except asyncio.CancelledError:
                task.cancel()
                raise
        try:
            with self.workload.acknowledging():
                await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException as exc:
            # The work still finishes (and is saved); only the answer can no longer arrive.
            log.warning("could not defer (%s): %s", exc, context)
        return await task

    async def _deliver(
        self,
        interaction: discord.Interaction[Any],
        reply: Reply,
        *,
        card: str | None,
        reopen: str | None,
        context: Mapping[str, object],
    ) -> None:
        try:
            await self._send(interaction, reply, card=card, reopen=reopen)
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_INTERACTION:
                log.warning("interaction expired before the answer was sent: %s", context)
                return
            await self._send_apology(interaction, exc, context)
        except Exception as exc:
            await self._send_apology(interaction, exc, context)

    async def _send_apology(
        self,
        interaction: discord.Interaction[Any],
        exc: Exception,
        context: Mapping[str, object],
    ) -> None:
        sorry = apology(log, exc, platform=PLATFORM, stage="send", **context)
        try:
            await self._send(interaction, sorry, card=None, reopen=None)
        except Exception:
            log.exception("could not send the apology either: %s", context)

    async def _send(
        self,
        interaction: discord.Interaction[Any],
        reply: Reply,
        *,
        card: str | None,
        reopen: str | None,
    ) -> None:
        response = interaction.response
        if response.is_done():
            # Deferred: the answer is a follow-up, which can never be a modal.
            rendered = render(form_as_button(reply, reopen))
            if not reply.private:
                # The first follow-up fills the private "thinking" message and stays private;
                # a public answer (a tally for the channel) must be a message of its own.
                await interaction.followup.send(
                    **render(POSTED_PUBLICLY).send_arguments(), ephemeral=True, wait=True
                )
            await interaction.followup.send(
                **rendered.send_arguments(), ephemeral=reply.private, wait=True
            )
            return
        if reply.form is not None and interaction.type is not discord.InteractionType.modal_submit:
            modal = render_modal(reply.form)
            # Stopped before sending, so discord.py keeps no copy: submissions are answered from
            # the raw payload (`on_modal`), which also works for a form opened before a restart.
            modal.stop()
            await response.send_modal(modal)
            return
        rendered = render(form_as_button(reply, reopen))
        if card is not None and continues_card(card, reply):
            await response.edit_message(**rendered.edit_arguments())
        else:
            await response.send_message(**rendered.send_arguments(), ephemeral=reply.private)


def responder_of(interaction: discord.Interaction[Any]) -> Responder:
    """The `Responder` of the callbot client that received this interaction."""
    responder = getattr(interaction.client, "callbot", None)
    if not isinstance(responder, Responder):
        raise RuntimeError("this interaction reached a client that does not run callbot")
    return responder

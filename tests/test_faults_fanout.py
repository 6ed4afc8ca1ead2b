"""SIGKILL of the leading scheduler in the middle of a 240-channel fan-out, with a standby
waiting (`callbot run --role scheduler` twice, real processes): on PostgreSQL the advisory
lock elects the leader, on SQLite the lock file beside the database. Afterwards every post
was made exactly once in the fake Discord (a claim the kill left unconfirmed is sent again
with its nonce, which Discord deduplicates), or its organizer was told in a direct message
with Post it now; nothing was posted twice, and no claim is left unconfirmed."""

from __future__ import annotations

import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fakes.discord_fake import FakeDiscord
from scheduler_faults import (
    START_SECONDS,
    add_alerts,
    add_servers,
    deliveries,
    delivery_statuses,
    open_core,
    own_database,
    post_it_now_notices,
    postgres_url,
    process_settings,
    running_bot_process,
    until_true,
)

CHANNELS = 240
KILL_AFTER = 60  # posts made before the leader is killed
DUE_IN = timedelta(seconds=12)  # after both processes have started, as a rule
SETTLE_SECONDS = 60.0  # after the kill: takeover, the rest of the fan-out, settling


async def test_a_killed_leader_mid_fanout_loses_no_post_and_posts_none_twice(
    tmp_path: Path,
) -> None:
    fake = FakeDiscord(global_limit=50, global_window=1.0)  # Discord's global limit
    await fake.start()
    try:
        async with own_database(tmp_path) as url, open_core(url, tmp_path) as core:
            servers = await add_servers(core, fake, CHANNELS)
            alert_ids = await add_alerts(core, servers, datetime.now(UTC) + DUE_IN)
            settings = process_settings(url, fake, tmp_path)
            lock = "advisory lock" if postgres_url() else "lock file"
            async with (
                running_bot_process(settings, tmp_path, "--role", "scheduler") as first,
                running_bot_process(settings, tmp_path, "--role", "scheduler") as second,
            ):
                await first.wait_for_log(
                    "leading the scheduler|standing by", START_SECONDS, "start"
                )
                await second.wait_for_log(
                    "leading the scheduler|standing by", START_SECONDS, "start"
                )
                leader, standby = (
                    (first, second)
                    if any("leading the scheduler" in line for line in first.lines)
                    else (second, first)
                )

                def posted() -> int:
                    return sum(1 for s in servers if fake.channel_messages(s.channel))

                await fake.state.wait_until(
                    lambda: posted() >= KILL_AFTER, START_SECONDS + 30, f"{KILL_AFTER} posts"
                )
                leader.process.send_signal(signal.SIGKILL)  # no goodbye: the lock goes with it
                await leader.process.wait()
                killed_at = posted()
                await standby.wait_for_log("leading the scheduler", 30, f"take over the {lock}")

                def done(server_index: int) -> bool:
                    server = servers[server_index]
                    return bool(
                        fake.channel_messages(server.channel)
                        or post_it_now_notices(fake, server.organizer)
                    )

                await fake.state.wait_until(
                    lambda: all(done(i) for i in range(CHANNELS)),
                    SETTLE_SECONDS,
                    "every post made, or its organizer told",
                )

                async def settled() -> bool:
                    return "claimed" not in await delivery_statuses(core)

                await until_true(settled, SETTLE_SECONDS, "every claim settled")
                assert await standby.stop() == 0
            recorded = await deliveries(core)
        assert fake.errors == []
        twice = [s.channel.name for s in servers if len(fake.channel_messages(s.channel)) > 1]
        assert twice == []
        told = 0
        for server, alert_id in zip(servers, alert_ids, strict=True):
            delivery = recorded[alert_id]
            [message] = fake.channel_messages(server.channel) or [None]
            if message is not None:
                assert delivery.status == "posted", (alert_id, delivery.status)
                assert delivery.message_ref == f"{server.channel.id}/{message.id}"
            else:
                [notice] = post_it_now_notices(fake, server.organizer)
                assert f"alert:postnow:{delivery.id}" in notice.custom_ids()
                told += 1
        # On Discord a repeat within the nonce's window is safe: nothing needed its organizer.
        assert told == 0, f"{told} organizers told; killed at {killed_at} posts"
        statuses = Counter(delivery.status for delivery in recorded.values())
        # The run's story (shown with -s): how many posts the kill left for the nonce.
        print(
            f"killed after {killed_at} posts; {fake.nonce_repeats} repeats answered by the "
            f"nonce; deliveries: {dict(statuses)}"
        )
    finally:
        await fake.stop()

"""The tally's chart: completed calls per day as a bar chart, a small PNG made with Pillow."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from PIL import Image as Picture
from PIL import ImageDraw, ImageFont

from callbot.replies import Image

WIDTH, HEIGHT = 640, 280
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 16, 36, 40
BACKGROUND = (255, 255, 255)
BAR = (88, 101, 242)
INK = (40, 40, 40)
GRID = (225, 225, 225)


def _step(top: int) -> int:
    """A round grid step giving at most five lines up to `top`."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if top / step <= 5:
            return step
    return max(1, top // 5)


def calls_per_day_chart(days: Sequence[tuple[date, int]], title: str) -> Image:
    """A bar a day (oldest first), the counts labelled, with a text description for where the
    picture cannot be shown."""
    picture = Picture.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default()
    draw.text((MARGIN_LEFT, 10), title, fill=INK, font=font)
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    bottom = MARGIN_TOP + plot_h
    top = max((count for _, count in days), default=0)
    step = _step(max(top, 1))
    ceiling = max(step, -(-top // step) * step)
    for value in range(0, ceiling + 1, step):
        y = bottom - plot_h * value // ceiling
        draw.line((MARGIN_LEFT, y, WIDTH - MARGIN_RIGHT, y), fill=GRID)
        draw.text((6, y - 6), str(value), fill=INK, font=font)
    slot = plot_w / max(len(days), 1)
    for index, (day, count) in enumerate(days):
        left = MARGIN_LEFT + index * slot + slot * 0.15
        right = MARGIN_LEFT + (index + 1) * slot - slot * 0.15
        height = plot_h * count / ceiling
        if count:
            draw.rectangle((left, bottom - height, right, bottom), fill=BAR)
        label = day.strftime("%d")
        draw.text(((left + right) / 2 - 6, bottom + 6), label, fill=INK, font=font)
    if days:
        span = f"{days[0][0]:%b %d} – {days[-1][0]:%b %d}"
        draw.text((MARGIN_LEFT, HEIGHT - 16), span, fill=INK, font=font)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    described = ", ".join(f"{day:%b %d} {count}" for day, count in days)
    return Image(
        data=buffer.getvalue(),
        filename="calls-per-day.png",
        alt=f"{title}: {described}" if days else f"{title}: no calls yet",
    )

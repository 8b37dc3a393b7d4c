"""Draw the app's icons (the favicon's three lines on the accent blue) as the PNGs the manifest names.

Run once when the design changes; the PNGs are committed, so neither the app nor CI needs Pillow:
    python -m venv /tmp/pil && /tmp/pil/bin/pip install pillow==13.0.0
    /tmp/pil/bin/python tools/draw_icons.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parent.parent / "app" / "static" / "icons"
BLUE = (47, 111, 222, 255)  # favicon.svg's fill
WHITE = (255, 255, 255, 255)
SCALE = 4  # drawn this much larger, then shrunk: smooth edges


def draw(size: int, *, maskable: bool) -> Image.Image:
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if maskable:
        # A maskable icon fills its square; the launcher cuts its own shape. The lines keep inside
        # the safe zone, the middle 80 %.
        pen.rectangle((0, 0, big, big), fill=BLUE)
        unit = big * 0.8 / 32
        origin = big * 0.1
    else:
        unit = big / 32
        origin = 0.0
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=7 * unit, fill=BLUE)
    width = 3 * unit
    # favicon.svg's paths: M9 22h14, M9 16h10, M9 10h14, with round caps.
    for y, length in ((10, 14), (16, 10), (22, 14)):
        x0, x1, cy = origin + 9 * unit, origin + (9 + length) * unit, origin + y * unit
        pen.rectangle((x0, cy - width / 2, x1, cy + width / 2), fill=WHITE)
        for x in (x0, x1):
            pen.ellipse((x - width / 2, cy - width / 2, x + width / 2, cy + width / 2), fill=WHITE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    ICONS.mkdir(exist_ok=True)
    for name, size, maskable in (
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("maskable-512.png", 512, True),
        ("apple-touch-icon.png", 180, True),  # iOS rounds its corners itself and shows no transparency
    ):
        draw(size, maskable=maskable).save(ICONS / name, optimize=True)
        print(ICONS / name)


if __name__ == "__main__":
    main()

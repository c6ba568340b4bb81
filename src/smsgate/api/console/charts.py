"""Line charts as inline SVG, drawn on the server: no chart script to ship or keep."""

from dataclasses import dataclass
from typing import Final

WIDTH: Final = 600
HEIGHT: Final = 160
PAD: Final = 24


@dataclass(frozen=True, slots=True)
class Line:
    name: str
    css: str  # a class of the stylesheet: colours live there (contrast, dark mode)
    values: list[int]


@dataclass(frozen=True, slots=True)
class Chart:
    lines: list[Line]
    peak: int
    points: list[tuple[str, str]]  # (css class, "x,y x,y ...") per line


def chart(lines: list[Line]) -> Chart:
    peak = max([1, *(max(line.values, default=0) for line in lines)])
    drawn = []
    for line in lines:
        count = max(1, len(line.values) - 1)
        coordinates = " ".join(
            f"{PAD + (WIDTH - 2 * PAD) * i / count:.1f},"
            f"{HEIGHT - PAD - (HEIGHT - 2 * PAD) * value / peak:.1f}"
            for i, value in enumerate(line.values)
        )
        drawn.append((line.css, coordinates))
    return Chart(lines, peak, drawn)

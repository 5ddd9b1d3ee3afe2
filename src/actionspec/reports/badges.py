"""Per-implementation badges: a shields.io endpoint file and an SVG drawn here, offline.

A badge says how many of the scenarios a target could run it passed (`38/79 passing`),
then the known failures and anything failing the run, each counted apart; skipped
scenarios are left out, as the target cannot observe them. The colour follows the share
passing. The SVG is the flat style at Verdana 11px; its text widths are estimated from the
table below, and each text is given its estimated length so another font fits the same box.
"""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from ..suite import runner

Outcome = runner.Outcome

# Advance widths of Verdana at 11px, in pixels, estimated from the font's metrics.
_WIDTH_OF = {
    2.99: "'",
    3.02: 'il',
    3.73: 'j',
    3.87: ' f',
    4.0: ',.',
    4.33: 't',
    4.35: '!',
    4.63: 'I',
    4.69: 'r',
    4.88: '():;[]|',
    4.93: '-',
    4.98: 'J',
    5.07: '"',
    5.66: 'z',
    5.73: 'cs',
    5.98: '?',
    6.17: 'L',
    6.33: 'F',
    6.42: 'kvxy',
    6.55: 'e',
    6.6: 'a',
    6.63: 'TY',
    6.68: 'o',
    6.77: 'P',
    6.85: 'bdgpq',
    6.94: '/\\',
    6.95: 'E',
    6.96: 'hnu',
    6.98: '{}',
    6.99: '0123456789$*_`',
    7.52: 'ASVX',
    7.55: 'BZ',
    7.64: 'K',
    7.68: 'C',
    7.69: 'R',
    8.06: 'U',
    8.23: 'N',
    8.27: 'H',
    8.47: 'D',
    8.52: 'G',
    8.58: '&',
    8.65: 'OQ',
    8.9: 'w',
    9.22: '#+<=>^~M',
    10.7: 'm',
    11.0: '@',
    11.04: 'W',
    11.9: '%',
}
WIDTHS = {char: width for width, chars in _WIDTH_OF.items() for char in chars}
UNKNOWN_WIDTH = 8.0  # a character outside the table: wider than most, so text is not cramped
PADDING = 5.0  # on each side of a text
HEIGHT = 20

# shields.io's named colours, and the share passing from which each is given.
COLORS = {
    'brightgreen': '#4c1',
    'green': '#97ca00',
    'yellowgreen': '#a4a61d',
    'yellow': '#dfb317',
    'orange': '#fe7d37',
    'red': '#e05d44',
    'lightgrey': '#9f9f9f',
}
THRESHOLDS = (
    (1.0, 'brightgreen'),
    (0.95, 'green'),
    (0.9, 'yellowgreen'),
    (0.75, 'yellow'),
    (0.5, 'orange'),
    (0.0, 'red'),
)


def text_width(text: str) -> float:
    """How wide `text` is at Verdana 11px, estimated."""
    return sum(WIDTHS.get(char, UNKNOWN_WIDTH) for char in text)


def color_for(passed: int, ran: int) -> str:
    """The shields colour name for `passed` out of `ran` (grey when nothing ran)."""
    if ran == 0:
        return 'lightgrey'
    share = passed / ran
    return next(name for floor, name in THRESHOLDS if share >= floor)


@dataclasses.dataclass(frozen=True)
class Badge:
    label: str
    message: str
    color: str  # a name in COLORS
    title: str  # the whole story, shown when a reader hovers over the SVG

    def endpoint(self) -> dict[str, Any]:
        """The shields.io endpoint file (https://shields.io/badges/endpoint-badge)."""
        return {
            'schemaVersion': 1,
            'label': self.label,
            'message': self.message,
            'color': self.color,
        }

    def files(self) -> dict[str, str]:
        """The badge's files by suffix: the endpoint JSON and the SVG."""
        return {'.json': json.dumps(self.endpoint(), indent=2) + '\n', '.svg': self.svg()}

    def svg(self) -> str:
        """The badge in the flat style, drawn without asking any service."""
        label_box = round(text_width(self.label) + 2 * PADDING)
        message_box = round(text_width(self.message) + 2 * PADDING)
        width = label_box + message_box
        svg = ET.Element(
            'svg',
            xmlns='http://www.w3.org/2000/svg',
            width=str(width),
            height=str(HEIGHT),
            role='img',
        )
        svg.set('aria-label', f'{self.label}: {self.message}')
        ET.SubElement(svg, 'title').text = self.title
        shine = ET.SubElement(svg, 'linearGradient', id='shine', x2='0', y2='100%')
        ET.SubElement(shine, 'stop', {'offset': '0', 'stop-color': '#bbb', 'stop-opacity': '.1'})
        ET.SubElement(shine, 'stop', {'offset': '1', 'stop-opacity': '.1'})
        clip = ET.SubElement(svg, 'clipPath', id='round')
        ET.SubElement(clip, 'rect', width=str(width), height=str(HEIGHT), rx='3', fill='#fff')
        boxes = ET.SubElement(svg, 'g', {'clip-path': 'url(#round)'})
        ET.SubElement(boxes, 'rect', width=str(label_box), height=str(HEIGHT), fill='#555')
        ET.SubElement(
            boxes,
            'rect',
            x=str(label_box),
            width=str(message_box),
            height=str(HEIGHT),
            fill=COLORS[self.color],
        )
        ET.SubElement(boxes, 'rect', width=str(width), height=str(HEIGHT), fill='url(#shine)')
        texts = ET.SubElement(
            svg,
            'g',
            {
                'fill': '#fff',
                'text-anchor': 'middle',
                'font-family': 'Verdana,Geneva,DejaVu Sans,sans-serif',
                'font-size': '11',
            },
        )
        boxes_and_texts = ((self.label, 0, label_box), (self.message, label_box, message_box))
        for text, left, box in boxes_and_texts:
            middle = f'{left + box / 2:g}'
            length = f'{text_width(text):.1f}'
            shadow = ET.SubElement(
                texts,
                'text',
                {'x': middle, 'y': '15', 'fill': '#010101', 'fill-opacity': '.3'},
                textLength=length,
            )
            shadow.text = text
            ET.SubElement(texts, 'text', x=middle, y='14', textLength=length).text = text
        return ET.tostring(svg, encoding='unicode') + '\n'


def for_target(target: str, totals: Mapping[str, int], juju_version: str) -> Badge:
    """The badge of one target from its totals (keyed by outcome name, as reports write)."""
    count = {outcome: totals.get(str(outcome), 0) for outcome in Outcome}
    passed, known = count[Outcome.PASSED], count[Outcome.XFAILED]
    failing = count[Outcome.FAILED] + count[Outcome.XPASSED]  # as the run counts them
    errored = count[Outcome.ERRORED]
    ran = sum(count.values()) - count[Outcome.SKIPPED]
    parts = [f'{passed}/{ran} passing' if ran else 'no scenario ran']
    parts += [f'{known} known failures'] if known else []
    parts += [f'{failing} failing'] if failing else []
    parts += [f'{errored} errored'] if errored else []
    skipped = f', {count[Outcome.SKIPPED]} skipped' if count[Outcome.SKIPPED] else ''
    return Badge(
        label=f'{target} (Juju {juju_version})',
        message=', '.join(parts),
        color=color_for(passed, ran),
        title=f'actionspec conformance of {target} under Juju {juju_version}: '
        f'{", ".join(parts)}{skipped}',
    )


def for_totals(totals: Mapping[str, Mapping[str, int]], juju_version: str) -> dict[str, Badge]:
    """A badge per target, keyed by its file stem (`file_stem`)."""
    badges: dict[str, Badge] = {}
    named: dict[str, str] = {}
    for target, counts in totals.items():
        stem = file_stem(target)
        if stem in named:
            raise ValueError(f'targets {named[stem]!r} and {target!r} would share the file {stem}')
        named[stem] = target
        badges[stem] = for_target(target, counts, juju_version)
    return badges


def file_stem(target: str) -> str:
    """A file name for a target's badges: `charm:path/x` becomes `charm-path-x`."""
    return re.sub(r'[^A-Za-z0-9._-]+', '-', target).strip('-.') or 'target'

"""Just enough of a terminal for tests: the lines a screen shows after the bytes a program wrote to it (carriage
return, line feed, cursor up, erase line; colours and cursor visibility change nothing on screen)."""
from __future__ import annotations

import re

CSI = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")


def screen(text: str) -> list[str]:
    lines, row, col, i = [""], 0, 0, 0
    while i < len(text):
        escape = CSI.match(text, i)
        if escape:
            arg, command = escape.groups()
            if command == "A":
                row = max(0, row - int(arg or 1))
            elif command == "K":
                lines[row] = "" if arg == "2" else lines[row][:col]
            i = escape.end()
            continue
        char = text[i]
        i += 1
        if char == "\r":
            col = 0
        elif char == "\n":
            row, col = row + 1, 0
            if row == len(lines):
                lines.append("")
        elif char >= " ":
            line = lines[row].ljust(col)
            lines[row] = line[:col] + char + line[col + 1:]
            col += 1
    return [line.rstrip() for line in lines]
